/**
 * Bearer-key authentication for /v1. The key is looked up by its SHA-256 (packages/db); the tenant
 * found is attached to the request, and every query after this is scoped by it. The key itself is
 * never logged or kept: only the key's id and tenant go into the request's log context.
 *
 * Accepted keys are remembered for AUTH_CACHE_SECONDS (by hash), and concurrent lookups of one key
 * share a query, so that a busy client does not cost a query per request; a revoked key therefore stops
 * working within that time. Refused keys are remembered as long, and an address that sends more than
 * AUTH_FAILURES_PER_MINUTE refused keys is answered 429 without a query (auth-failure-limiter.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '@trainyard/contracts';
import { hashApiKey, type Authenticated, type Database, type Tenant } from '@trainyard/db';
import { TtlCache } from '../ttl-cache.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';

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

const RECENTLY_VALID_MS = 3600_000;
/** A key's lastUsedAt is written at most this often: it says whether a key is in use, not how much. */
const LAST_USED_THROTTLE_MS = 60_000;

export function registerAuth(scope: FastifyInstance, db: Database, settings: { cacheSeconds: number; failuresPerMinute: number }): void {
  const accepted = new TtlCache<string, Authenticated>(settings.cacheSeconds * 1000);
  const refused = new TtlCache<string, true>(settings.cacheSeconds * 1000);
  // Keys that worked lately are still looked up from an address over the failure limit: a tenant
  // behind the same address (a NAT, a proxy) as someone guessing keys keeps working.
  const recentlyValid = new TtlCache<string, true>(RECENTLY_VALID_MS);
  const failures = new AuthFailureLimiter(settings.failuresPerMinute);
  const touched = new TtlCache<string, true>(LAST_USED_THROTTLE_MS);
  // Requests that arrive together with a key not in the cache (a client opening many connections at
  // once, or every one of them when its cache entry expires) share one lookup, not one query each.
  const lookups = new Map<string, Promise<Authenticated | null>>();
  const lookUp = (hash: string, key: string): Promise<Authenticated | null> => {
    let lookup = lookups.get(hash);
    if (!lookup) {
      lookup = db.tenants.authenticate(key).finally(() => lookups.delete(hash));
      lookups.set(hash, lookup);
    }
    return lookup;
  };
  const refuse = (request: FastifyRequest, error: ApiError): ApiError => {
    failures.recordFailure(request.ip);
    return error;
  };
  scope.decorateRequest('tenant', null as unknown as Tenant);
  scope.decorateRequest('apiKeyId', '');
  scope.addHook('onRequest', async (request) => {
    const key = bearerKey(request);
    if (key === null) throw refuse(request, new ApiError('unauthorized'));
    const hash = hashApiKey(key);
    let found = accepted.get(hash);
    if (!found) {
      const waitSeconds = recentlyValid.get(hash) ? 0 : failures.blockedFor(request.ip);
      if (waitSeconds > 0) {
        throw new ApiError(
          'auth_failures_limit',
          `More than ${settings.failuresPerMinute} requests a minute with unknown or revoked keys from this address (AUTH_FAILURES_PER_MINUTE); retry in ${waitSeconds} s.`,
          { limit: settings.failuresPerMinute, variable: 'AUTH_FAILURES_PER_MINUTE', retryAfterSeconds: waitSeconds },
        );
      }
      if (refused.get(hash)) throw refuse(request, new ApiError('unauthorized', 'The API key is unknown or revoked.'));
      found = (await lookUp(hash, key)) ?? undefined;
      if (!found) {
        refused.set(hash, true);
        throw refuse(request, new ApiError('unauthorized', 'The API key is unknown or revoked.'));
      }
      accepted.set(hash, found);
      recentlyValid.set(hash, true);
    }
    request.tenant = found.tenant;
    request.apiKeyId = found.apiKey.id;
    request.log = request.log.child({ tenantId: found.tenant.id, apiKeyId: found.apiKey.id });
    if (!touched.get(found.apiKey.id)) {
      touched.set(found.apiKey.id, true);
      // Not awaited: a request does not wait for this bookkeeping, nor fail with it.
      const log = request.log;
      db.tenants
        .touchApiKey(found.apiKey.id, LAST_USED_THROTTLE_MS)
        .catch((error) => log.warn({ err: error }, 'could not record the key as used'));
    }
  });
}
