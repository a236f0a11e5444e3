/**
 * API latency: one histogram of request durations by method, route pattern and status. The route
 * pattern (`/v1/jobs/:id`), never the URL, keeps the label set small; unmatched URLs share one label.
 */
import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

export function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: 'trainyard_http_request_duration_seconds',
    help: 'API request durations (to the last byte; an event stream counts until it ends)',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return; // scrapes would drown the API's own traffic
    duration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
