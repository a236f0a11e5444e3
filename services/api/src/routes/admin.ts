/**
 * /admin/v1, only when ADMIN_TOKEN is set: tenants, and their API keys created, listed and revoked
 * over HTTP (besides `trainyard keys`). A new key is shown once, in the creation answer; listings show
 * its prefix, never the key or its hash. A revoked key stops working within AUTH_CACHE_SECONDS.
 */
import type { FastifyInstance } from 'fastify';
import {
  ApiError,
  createApiKey,
  createTenant,
  listApiKeys,
  listTenants,
  revokeApiKey,
  type ApiKeyView,
  type TenantView,
} from '@trainyard/contracts';
import type { ApiKey, Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { registerAdminAuth } from '../http/admin-auth.js';
import { routeOf, typed } from '../http/operation-route.js';

function tenantView(tenant: Tenant): TenantView {
  return { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt.toISOString() };
}

function keyView(key: ApiKey, tenant: Tenant): ApiKeyView {
  return {
    id: key.id,
    prefix: key.prefix,
    tenant: tenant.name,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

export async function adminRoutes(scope: FastifyInstance, deps: ApiDeps, adminToken: string): Promise<void> {
  registerAdminAuth(scope, adminToken);
  const { db } = deps;
  const app = typed(scope);

  async function existingTenant(name: string): Promise<Tenant> {
    const tenant = await db.tenants.findByName(name);
    if (!tenant) throw new ApiError('not_found', `No tenant ${name}.`);
    return tenant;
  }

  app.route({ ...routeOf(listTenants, scope), handler: async () => ({ tenants: (await db.tenants.list()).map(tenantView) }) });

  app.route({
    ...routeOf(createTenant, scope),
    handler: async (request, reply) => {
      const { tenant, created } = await db.tenants.findOrCreate(request.body.name);
      if (created) request.log.info({ tenantId: tenant.id, tenant: tenant.name }, 'admin created a tenant');
      return reply.code(created ? 201 : 200).send(tenantView(tenant));
    },
  });

  app.route({
    ...routeOf(createApiKey, scope),
    handler: async (request, reply) => {
      const { tenant } = await db.tenants.findOrCreate(request.body.tenant);
      const { key, apiKey } = await db.tenants.createApiKey(tenant.id);
      request.log.info({ tenantId: tenant.id, keyId: apiKey.id, prefix: apiKey.prefix }, 'admin created an API key');
      return reply.code(201).send({ ...keyView(apiKey, tenant), key });
    },
  });

  app.route({
    ...routeOf(listApiKeys, scope),
    handler: async (request) => {
      const tenant = await existingTenant(request.query.tenant);
      return { keys: (await db.tenants.listApiKeys(tenant.id)).map((key) => keyView(key, tenant)) };
    },
  });

  app.route({
    ...routeOf(revokeApiKey, scope),
    handler: async (request, reply) => {
      if (!(await db.tenants.revokeApiKeyById(request.params.id))) {
        throw new ApiError('not_found', `No active API key ${request.params.id}.`);
      }
      request.log.info({ keyId: request.params.id }, 'admin revoked an API key');
      return reply.code(204).send();
    },
  });
}
