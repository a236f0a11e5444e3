/**
 * /admin/v1, only when ADMIN_TOKEN is set: tenants, and their API keys created, listed and revoked
 * over HTTP (besides `trainyard keys`). A new key is shown once, in the creation answer; listings show
 * its prefix, never the key or its hash. A revoked key stops working within AUTH_CACHE_SECONDS.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, TENANT_NAME_PATTERN, TENANT_NAME_RULE, uuidSchema } from '@trainyard/contracts';
import type { ApiKey, Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { registerAdminAuth } from '../http/admin-auth.js';

const tenantName = { type: 'string', pattern: TENANT_NAME_PATTERN, description: TENANT_NAME_RULE } as const;

function tenantView(tenant: Tenant) {
  return { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt.toISOString() };
}

function keyView(key: ApiKey, tenant: Tenant) {
  return {
    id: key.id,
    prefix: key.prefix,
    tenant: tenant.name,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

export async function adminRoutes(app: FastifyInstance, deps: ApiDeps, adminToken: string): Promise<void> {
  registerAdminAuth(app, adminToken);
  const { db } = deps;

  async function existingTenant(name: string): Promise<Tenant> {
    const tenant = await db.tenants.findByName(name);
    if (!tenant) throw new ApiError('not_found', `No tenant ${name}.`);
    return tenant;
  }

  app.get('/tenants', { schema: { summary: 'List tenants', tags: ['admin'] } }, async () => ({
    tenants: (await db.tenants.list()).map(tenantView),
  }));

  app.post<{ Body: { name: string } }>(
    '/tenants',
    {
      schema: {
        summary: 'Create a tenant (200 with the existing one if the name is taken)',
        tags: ['admin'],
        body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: tenantName } },
      },
    },
    async (request, reply) => {
      const { tenant, created } = await db.tenants.findOrCreate(request.body.name);
      if (created) request.log.info({ tenantId: tenant.id, tenant: tenant.name }, 'admin created a tenant');
      return reply.code(created ? 201 : 200).send(tenantView(tenant));
    },
  );

  app.post<{ Body: { tenant: string } }>(
    '/keys',
    {
      schema: {
        summary: 'Create an API key for a tenant (and the tenant if new); the key is in this answer only',
        tags: ['admin'],
        body: { type: 'object', additionalProperties: false, required: ['tenant'], properties: { tenant: tenantName } },
      },
    },
    async (request, reply) => {
      const { tenant } = await db.tenants.findOrCreate(request.body.tenant);
      const { key, apiKey } = await db.tenants.createApiKey(tenant.id);
      request.log.info({ tenantId: tenant.id, keyId: apiKey.id, prefix: apiKey.prefix }, 'admin created an API key');
      return reply.code(201).send({ ...keyView(apiKey, tenant), key });
    },
  );

  app.get<{ Querystring: { tenant: string } }>(
    '/keys',
    {
      schema: {
        summary: "A tenant's keys (prefixes and dates, never the keys)",
        tags: ['admin'],
        querystring: { type: 'object', additionalProperties: false, required: ['tenant'], properties: { tenant: tenantName } },
      },
    },
    async (request) => {
      const tenant = await existingTenant(request.query.tenant);
      return { keys: (await db.tenants.listApiKeys(tenant.id)).map((key) => keyView(key, tenant)) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/keys/:id',
    {
      schema: {
        summary: 'Revoke an API key',
        tags: ['admin'],
        params: { type: 'object', required: ['id'], properties: { id: uuidSchema } },
      },
    },
    async (request, reply) => {
      if (!(await db.tenants.revokeApiKeyById(request.params.id))) {
        throw new ApiError('not_found', `No active API key ${request.params.id}.`);
      }
      request.log.info({ keyId: request.params.id }, 'admin revoked an API key');
      return reply.code(204).send();
    },
  );
}
