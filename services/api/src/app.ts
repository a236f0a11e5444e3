/**
 * The API as a Fastify instance, built from its dependencies so that tests start it on port 0 with a
 * fresh database and queue prefix, and `startApi` wires the real ones.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { ApiDeps, ApiState } from './context.js';
import { EnqueueMarks } from './jobs/enqueue-marks.js';
import { TtlCache } from './ttl-cache.js';
import { registerErrorHandling, sendError, toApiError } from './http/errors.js';
import { registerJsonBody } from './http/json-body.js';
import { registerUnreadBodyDiscard } from './http/unread-body.js';
import { registerValidation } from './http/validation.js';
import { registerAuth } from './http/auth.js';
import { registerRateLimit, registerSecurityHeaders, registerTenantRequestGate } from './http/security.js';
import { registerOpenApi } from './http/openapi.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { datasetRoutes } from './routes/datasets.js';
import { weightsRoutes } from './routes/weights.js';
import { webhookRoutes } from './routes/webhooks.js';
import { architectureRoutes } from './routes/architectures.js';
import { eventRoutes } from './routes/events.js';
import { sampleRoutes } from './routes/samples.js';
import { metricsRoutes } from './routes/metrics.js';
import { serveDashboard } from './dashboard/serve-dashboard.js';
import { adminRoutes } from './routes/admin.js';
import { predictionRoutes } from './routes/predictions.js';
import { workerRoutes } from './routes/workers.js';
import { sweepRoutes } from './routes/sweeps.js';
import { LiveWorkers } from './workers/live-workers.js';
import { backgroundThreads } from './threads/background-threads.js';
import { DEFAULT_REDIS_URL, redactSecrets } from '@trainyard/contracts';

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Route parameters are ids and file names; longer ones are answered 404 by the router.
    routerOptions: { maxParamLength: 200 },
    // One log line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // URLs the router cannot decode (%ff) or with over-long parameters: our error format too.
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply, toApiError(error));
    },
    return503OnClosing: true,
    // The longest a client may take to send one request, an upload of UPLOAD_LIMIT included.
    requestTimeout: config.requestTimeoutSeconds * 1000,
  });

  // Every route is an operation of @trainyard/contracts (see http/operation-route.ts), so that the
  // document, the client and the contract tests know it; only pages for people are left out.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { operationId?: string; hide?: boolean } | undefined;
    if (!schema?.operationId && !schema?.hide) {
      throw new Error(
        `${String(route.method)} ${route.url} is not an operation of @trainyard/contracts: declare it in packages/contracts/src/schemas and register it with routeOf()`,
      );
    }
  });

  const state: ApiState = {
    enqueueMarks: new EnqueueMarks(deps.db, deps.logger),
    queuedCounts: new TtlCache(1_000),
    storedBytes: new TtlCache(5_000),
    liveWorkers: new LiveWorkers({ redisUrl: config.redisUrl ?? DEFAULT_REDIS_URL, prefix: config.queuePrefix }),
  };
  app.addHook('onClose', async () => {
    await state.enqueueMarks.flush();
    await state.liveWorkers.close();
    await backgroundThreads.close();
  });

  registerErrorHandling(app, { overLimitDelayMs: config.overLimitDelayMs });
  registerUnreadBodyDiscard(app, { idleMs: config.uploadIdleTimeoutSeconds * 1000 });
  registerValidation(app);
  registerJsonBody(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    // Built only when written: thousands of refused requests a second must not each pay for a log line nobody keeps.
    if (!deps.logger.isLevelEnabled('info')) return;
    request.log.info(
      {
        method: request.method,
        // A key pasted into a URL by mistake must not reach the logs either.
        url: redactSecrets(request.url.split('?')[0]!),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
  await registerSecurityHeaders(app, config.corsOrigins);
  await app.register(multipart, {
    // One byte above UPLOAD_LIMIT, so that the upload's own count (uploads/tenant-upload.ts) refuses it as
    // it passes the limit: at the plugin's limit, the file part is cut short but read to its end first.
    limits: { fileSize: config.uploadLimitBytes + 1, files: 64, fields: 8, fieldSize: 1024, parts: 80, headerPairs: 100 },
    throwFileSizeLimit: true,
  });
  await registerOpenApi(app, { docs: config.docsEnabled });
  await metricsRoutes(app, deps);
  await app.register(async (scope) => serveDashboard(scope));

  await app.register(async (scope) => healthRoutes(scope, deps));
  await app.register(
    async (v1) => {
      registerAuth(v1, deps.db, { cacheSeconds: config.authCacheSeconds, failuresPerMinute: config.authFailuresPerMinute });
      registerRateLimit(v1, { perMinute: config.rateLimitPerMinute, burst: config.rateLimitBurst });
      registerTenantRequestGate(v1, config.maxConcurrentRequestsPerTenant);
      await jobRoutes(v1, deps, state);
      await datasetRoutes(v1, deps);
      await weightsRoutes(v1, deps);
      await webhookRoutes(v1, deps);
      await sweepRoutes(v1, deps);
      await architectureRoutes(v1, deps);
      await eventRoutes(v1, deps);
      await sampleRoutes(v1, deps);
      await v1.register(async (scope) => predictionRoutes(scope, deps));
      await workerRoutes(v1, state);
    },
    { prefix: '/v1' },
  );
  const { adminToken } = config;
  if (adminToken) await app.register(async (admin) => adminRoutes(admin, deps, adminToken), { prefix: '/admin/v1' });
  return app;
}
