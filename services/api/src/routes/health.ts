/**
 * GET /healthz: the process answers (liveness). GET /readyz: Postgres, Redis and object storage all
 * answer within a short time (readiness); 503 with the failing checks otherwise.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, getHealth, getReadiness } from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { routeOf, typed } from '../http/operation-route.js';

const CHECK_TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (error) {
    return `unavailable: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  typed(app).route({ ...routeOf(getHealth, app), handler: async () => ({ status: 'ok' as const }) });

  typed(app).route({
    ...routeOf(getReadiness, app),
    handler: async (request) => {
      const [postgres, redis, storage] = await Promise.all([
        probe(() => deps.db.ping()),
        probe(() => deps.queue.check()),
        probe(() => deps.storage.check()),
      ]);
      const checks = { postgres, redis, storage };
      if (Object.values(checks).every((value) => value === 'ok')) return { status: 'ready' as const, checks };
      request.log.warn({ checks }, 'not ready');
      throw new ApiError('not_ready', undefined, { checks });
    },
  });
}
