/**
 * GET /metrics in Prometheus's text format: the API process's own metrics (request latency, Node's
 * runtime) and the deployment's, read from Postgres and Redis at scrape time (../metrics). It needs no
 * key, like most exporters, and shows counts only, never a tenant's data: keep it on the internal
 * network (or behind the proxy's access rules).
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DEFAULT_REDIS_URL, getPrometheusMetrics } from '@trainyard/contracts';
import { TrainingQueue, WorkerRegistry } from '@trainyard/queue';
import type { ApiDeps } from '../context.js';
import { registerHttpMetrics } from '../metrics/http-metrics.js';
import { registerClusterMetrics } from '../metrics/cluster-metrics.js';
import { withTimeout } from '../queue-adapter.js';
import { routeOf, typed } from '../http/operation-route.js';

/** Call on the root instance, before the routes: the latency hook must see every route. */
export async function metricsRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trainyard_api_' });
  registerHttpMetrics(app, registry);
  const settings = { redisUrl: deps.config.redisUrl ?? DEFAULT_REDIS_URL, prefix: deps.config.queuePrefix };
  // Opened on the first scrape: an API nobody scrapes keeps no extra Redis connections.
  let queue: TrainingQueue | null = null;
  const workers = new WorkerRegistry(settings);
  registerClusterMetrics(registry, {
    db: deps.db,
    queue: {
      counts: () => (queue ??= new TrainingQueue(settings)).counts(),
      restoredCount: () => (queue ??= new TrainingQueue(settings)).restoredCount(),
    },
    workers,
    logger: deps.logger,
  });
  app.addHook('onClose', async () => {
    await withTimeout(Promise.allSettled([queue?.close(), workers.close()]), 3_000, 'closing the metrics connections').catch(() => {});
  });

  typed(app).route({
    ...routeOf(getPrometheusMetrics, app),
    handler: async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  });
}
