/** Security headers (helmet), CORS (off unless origins are configured) and per-key rate limiting. */
import Fastify, { type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import { ApiError } from '@trainyard/contracts';

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
 * Requests per minute per API key. It runs right after authentication, in the same onRequest phase:
 * the bucket is the key's id (never the key itself; unauthenticated requests never get this far), and
 * a key over its limit is answered 429 before its body is read, parsed or validated, from the
 * in-process counters of the authenticated keys. A tenant hammering the API past its limit then costs
 * each refusal a hash and two map lookups, not a JSON parse and a schema check.
 */
export async function registerRateLimit(scope: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute <= 0) return;
  await scope.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    hook: 'onRequest',
    keyGenerator: (request) => (request.apiKeyId ? `key:${request.apiKeyId}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        'rate_limited',
        `More than ${context.max} requests a minute for this API key (RATE_LIMIT_PER_MINUTE); retry in ${Math.ceil(context.ttl / 1000)} s.`,
        {
          limit: context.max,
          variable: 'RATE_LIMIT_PER_MINUTE',
          windowSeconds: 60,
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
        },
      ),
  });
}
