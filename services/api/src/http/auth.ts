/**
 * Bearer-key authentication for /v1. The key is looked up by its SHA-256 (packages/db); the tenant
 * found is attached to the request, and every query after this is scoped by it. The key itself is
 * never logged or kept: only the key's id and tenant go into the request's log context.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '@trainyard/contracts';
import type { Database, Tenant } from '@trainyard/db';

declare module 'fastify' {
  interface FastifyRequest {
    tenant: Tenant;
    apiKeyId: string;
  }
}

/** The key from "Authorization: Bearer <key>", or null. */
export function bearerKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export function registerAuth(scope: FastifyInstance, db: Database): void {
  scope.decorateRequest('tenant', null as unknown as Tenant);
  scope.decorateRequest('apiKeyId', '');
  scope.addHook('onRequest', async (request) => {
    const key = bearerKey(request);
    if (key === null) throw new ApiError('unauthorized');
    const found = await db.tenants.authenticate(key);
    if (!found) throw new ApiError('unauthorized', 'The API key is unknown or revoked.');
    request.tenant = found.tenant;
    request.apiKeyId = found.apiKey.id;
    request.log = request.log.child({ tenantId: found.tenant.id, apiKeyId: found.apiKey.id });
  });
}
