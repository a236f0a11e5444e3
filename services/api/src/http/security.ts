/** Security headers (helmet), CORS (off unless origins are configured) and per-key rate limiting. */
import Fastify, { type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import { ApiError } from '@trainyard/contracts';
import { KeyRateLimiter } from './key-rate-limiter.js';
import { TenantRequestGate } from './tenant-request-gate.js';

const HELMET_OPTIONS = {
  // Swagger UI (/docs) sets its own static CSP; the JSON API needs none beyond helmet's default.
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      scriptSrc: ["'self'"],
    },
  },
};

/**
 * The headers @fastify/helmet sets with our options, computed once on a throwaway instance. The
 * plugin rebuilds helmet's middleware (and parses the CSP directives) on every request, which was a
 * measurable share of a job submission's CPU time; the headers never change between requests.
 */
async function helmetHeaders(): Promise<Array<[string, string | number | string[]]>> {
  const probe = Fastify();
  let headers: Array<[string, string | number | string[]]> = [];
  await probe.register(helmet, HELMET_OPTIONS);
  await probe.register(async (scope) => {
    scope.addHook('onRequest', async (_request, reply) => {
      headers = Object.entries(reply.raw.getHeaders()).filter(
        (entry): entry is [string, string | number | string[]] => entry[1] !== undefined,
      );
    });
    scope.get('/', async () => '');
  });
  await probe.inject({ method: 'GET', url: '/' });
  await probe.close();
  if (headers.length === 0) throw new Error('helmet set no headers on the probe request');
  return headers;
}

export async function registerSecurityHeaders(app: FastifyInstance, corsOrigins: string[]): Promise<void> {
  const headers = await helmetHeaders();
  // On the raw response, as helmet does, so that routes that write the response themselves get them too.
  app.addHook('onRequest', async (_request, reply) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
  });
  if (corsOrigins.length > 0) {
    await app.register(cors, {
      origin: corsOrigins.includes('*') ? '*' : corsOrigins,
      methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
      exposedHeaders: [
        'Location',
        'Retry-After',
        'X-Request-Id',
        'Idempotent-Replayed',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ],
      maxAge: 600,
    });
  }
}

/**
 * Requests per minute per API key (key-rate-limiter.ts: a token bucket of `burst` requests, refilled
 * at perMinute/60 a second). It runs right after authentication, in the same onRequest phase: the
 * bucket is the key's id (never the key itself; unauthenticated requests never get this far), and a
 * key over its limit is answered 429 before its body is read, parsed or validated. A tenant hammering
 * the API past its limit then costs each refusal a hash and two map lookups, not a JSON parse and a
 * schema check. Every answer says the limit, the requests left and when the bucket is full again.
 */
export function registerRateLimit(scope: FastifyInstance, settings: { perMinute: number; burst: number }): void {
  if (settings.perMinute <= 0) return;
  const limiter = new KeyRateLimiter(settings.perMinute, settings.burst);
  scope.addHook('onRequest', async (request, reply) => {
    const decision = limiter.take(request.apiKeyId);
    reply.header('x-ratelimit-limit', String(limiter.perMinute));
    reply.header('x-ratelimit-remaining', String(decision.remaining));
    reply.header('x-ratelimit-reset', String(decision.resetSeconds));
    if (decision.allowed) return;
    throw new ApiError(
      'rate_limited',
      `More than ${limiter.perMinute} requests a minute, or ${limiter.burst} at once, for this API key (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST); retry in ${decision.retryAfterSeconds} s.`,
      {
        limit: limiter.perMinute,
        burst: limiter.burst,
        variable: 'RATE_LIMIT_PER_MINUTE',
        windowSeconds: 60,
        retryAfterSeconds: decision.retryAfterSeconds,
      },
    );
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Ends the request's turn in TenantRequestGate (set while it holds one). */
    endTurn?: () => void;
  }
}

/**
 * Operations with a per-tenant limit of their own whose handlers run for long (uploads read their body,
 * predictions wait for a model): they do not take a turn, or a slow client would hold one for minutes.
 * Event streams do take one while they open (the job lookup, the subscription and the replay of what
 * the client missed): onSend ends it as the stream starts, so an open stream holds none, and twenty
 * streams opened at once reach Postgres `limit` at a time like any other requests.
 */
const OWN_CONCURRENCY_LIMIT: ReadonlySet<string> = new Set(['uploadDataset', 'uploadWeights', 'predictWithJobModel']);
/** Requests of one tenant that may wait for a turn; more are refused with concurrent_requests_limit. */
const MAX_WAITING_PER_TENANT = 100;

/**
 * MAX_CONCURRENT_REQUESTS_PER_TENANT (tenant-request-gate.ts), after authentication and the rate
 * limit in onRequest: a request waits for its tenant's turn before its body is read, and ends it
 * when its answer is ready (onSend) or its client goes away.
 */
export function registerTenantRequestGate(scope: FastifyInstance, limit: number): void {
  if (limit <= 0) return;
  const gate = new TenantRequestGate(limit, MAX_WAITING_PER_TENANT);
  scope.addHook('onRequest', async (request, reply) => {
    const operationId = (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId;
    if (operationId && OWN_CONCURRENCY_LIMIT.has(operationId)) return;
    const abandoned = new AbortController();
    const onClose = () => {
      abandoned.abort();
      request.endTurn?.();
    };
    reply.raw.once('close', onClose);
    request.endTurn = await gate.enter(request.tenant.id, abandoned.signal);
    if (abandoned.signal.aborted) request.endTurn();
  });
  scope.addHook('onSend', async (request) => request.endTurn?.());
}
