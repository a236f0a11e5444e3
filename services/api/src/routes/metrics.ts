/**
 * GET /metrics in Prometheus's text format: the API process's own metrics (request latency, Node's
 * runtime) and the deployment's, read from Postgres and Redis at scrape time (../metrics). It needs no
 * key, like most exporters, and shows counts only, never a tenant's data: keep it on the internal
 * network (or behind the proxy's access rules), or on its own port (METRICS_PORT).
 *
 * Since anyone who reaches it can call it, an answer is reused for CACHE_MS: scraping in a loop then
 * costs the API a string copy, not Postgres and Redis queries that slow every tenant's requests. And
 * one client address is answered at most once every SCRAPE_INTERVAL_MS: more scrapes wait their turn
 * (they would only get the same cached answer), so a loop of scrapes cannot fill the event loop that
 * answers every tenant.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DEFAULT_REDIS_URL, getPrometheusMetrics } from '@trainyard/contracts';
import { TrainingQueue, WorkerRegistry } from '@trainyard/queue';
import type { ApiDeps } from '../context.js';
import { registerHttpMetrics } from '../metrics/http-metrics.js';
import { registerClusterMetrics } from '../metrics/cluster-metrics.js';
import { withTimeout } from '../queue-adapter.js';
import { routeOf, typed } from '../http/operation-route.js';

const CACHE_MS = 5_000;
/** One answer per client address this often (10 a second); a scrape that would wait longer than MAX_WAIT_MS is answered at once. */
const SCRAPE_INTERVAL_MS = 100;
const MAX_WAIT_MS = 5_000;
const MAX_ADDRESSES = 10_000;

/** When each client address may next be answered, for at most MAX_ADDRESSES addresses (the oldest forgotten first). */
class ScrapePacer {
  private readonly next = new Map<string, number>();

  /** Milliseconds this scrape from `address` waits before its answer. */
  wait(address: string, now = Date.now()): number {
    const at = Math.max(now, this.next.get(address) ?? 0);
    if (at - now > MAX_WAIT_MS) return 0;
    this.next.delete(address);
    this.next.set(address, at + SCRAPE_INTERVAL_MS);
    if (this.next.size > MAX_ADDRESSES) this.next.delete(this.next.keys().next().value as string);
    return at - now;
  }
}

/** The METRICS_PORT server of each API instance that has one. */
const separateServers = new WeakMap<FastifyInstance, FastifyInstance>();

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

  let cached: { text: Promise<string>; at: number } | null = null;
  const scrape = (): Promise<string> => {
    const now = Date.now();
    if (!cached || now - cached.at >= CACHE_MS) {
      const text = registry.metrics();
      cached = { text, at: now };
      text.catch(() => (cached = null)); // a failed scrape is not reused
    }
    return cached.text;
  };
  const pacer = new ScrapePacer();
  const route = (scope: FastifyInstance) =>
    typed(scope).route({
      ...routeOf(getPrometheusMetrics, scope),
      handler: async (request, reply) => {
        const wait = pacer.wait(request.ip);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        reply.type(registry.contentType);
        return scrape();
      },
    });

  const { metricsPort, host } = deps.config;
  if (metricsPort === undefined) {
    route(app);
    return;
  }
  // Its own server, listening once the API is ready (a port that is taken stops the start-up): only
  // GET /metrics is there, and it is not on PORT.
  const server = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, return503OnClosing: true });
  route(server);
  separateServers.set(app, server);
  app.addHook('onReady', async () => {
    await server.listen({ port: metricsPort, host });
    deps.logger.info({ address: server.server.address() }, 'metrics listening');
  });
  app.addHook('onClose', async () => server.close());
}

/** The port of the METRICS_PORT server once it listens (METRICS_PORT=0 picks a free one), else null. */
export function metricsPortOf(app: FastifyInstance): number | null {
  const address = separateServers.get(app)?.server.address();
  return address && typeof address === 'object' ? address.port : null;
}
