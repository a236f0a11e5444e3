/**
 * POST /v1/jobs/{id}/predict. The route lives in its own scope because its JSON body is not parsed
 * here: the bytes go to an inference process, which parses and checks them off the event loop (the
 * schema below documents the body; that process enforces it).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, DEFAULT_PREDICT_TOP, predictWithJobModel } from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { routeOf, typed } from '../http/operation-route.js';
import { compileUrlPartValidator } from '../http/validation.js';
import { predict } from '../predictions/predict.js';
import { PredictorPool } from '../predictions/predictor-pool.js';
import type { PredictInputs } from '../predictions/protocol.js';
import { bodyLimitError, receiveImages } from '../predictions/receive-images.js';
import { TenantSlots } from '../tenant-slots.js';

declare module 'fastify' {
  interface FastifyRequest {
    releasePredictionSlot?: () => void;
  }
}

function storageEnv(config: ApiDeps['config']): Record<string, string> {
  const env: Record<string, string> = { S3_REGION: config.s3Region };
  if (config.s3Endpoint) env.S3_ENDPOINT = config.s3Endpoint;
  if (config.s3ForcePathStyle !== undefined) env.S3_FORCE_PATH_STYLE = String(config.s3ForcePathStyle);
  if (config.s3AccessKeyId) env.S3_ACCESS_KEY_ID = config.s3AccessKeyId;
  if (config.s3SecretAccessKey) env.S3_SECRET_ACCESS_KEY = config.s3SecretAccessKey;
  return env;
}

export async function predictionRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { config } = deps;
  const pool = new PredictorPool({
    processes: config.predictProcesses,
    nice: config.predictNice,
    logger: deps.logger,
    child: {
      storageUrl: config.storageUrl,
      storageEnv: storageEnv(config),
      cacheBytes: config.predictCacheMemoryBytes,
      maxImages: config.predictMaxImages,
      maxImagePixels: config.maxImagePixels,
    },
  });
  const slots = new TenantSlots(
    config.maxConcurrentPredictionsPerTenant,
    (limit) =>
      new ApiError(
        'concurrent_predictions_limit',
        `The tenant already has ${limit} prediction requests in progress; MAX_CONCURRENT_PREDICTIONS_PER_TENANT allows ${limit}.`,
        { limit, variable: 'MAX_CONCURRENT_PREDICTIONS_PER_TENANT', retryAfterSeconds: 1 },
      ),
  );
  app.addHook('onClose', async () => pool.close());

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler(async (error: { code?: string }) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw bodyLimitError(config.predictBodyLimitBytes);
    throw error; // to the API's error handler
  });

  const readInputs = async (request: FastifyRequest): Promise<PredictInputs> => {
    if (Buffer.isBuffer(request.body)) return { kind: 'json', body: request.body };
    if (request.isMultipart()) {
      const images = await receiveImages(request, { maxImages: config.predictMaxImages, bodyLimitBytes: config.predictBodyLimitBytes });
      return { kind: 'images', images };
    }
    throw new ApiError(
      'unsupported_media_type',
      'Send images as multipart/form-data parts named images, or JSON { "instances": [...] } with Content-Type: application/json.',
    );
  };

  typed(app).route({
    ...routeOf(predictWithJobModel, app),
    bodyLimit: config.predictBodyLimitBytes,
    onRequest: async (request, reply) => {
      // Given back as soon as the answer is ready (a client's next request must find it free), or when
      // the connection closes first.
      const release = slots.take(request.tenant.id);
      reply.raw.once('close', release);
      request.releasePredictionSlot = release;
    },
    onSend: async (request) => request.releasePredictionSlot?.(),
    validatorCompiler: ({ schema, httpPart }) => (httpPart === 'body' ? () => true : compileUrlPartValidator(schema)),
    handler: async (request, reply) => {
      const abandoned = new AbortController();
      reply.raw.once('close', () => abandoned.abort());
      const result = await predict(
        deps,
        pool,
        { tenant: request.tenant, jobId: request.params.id, top: request.query.top ?? DEFAULT_PREDICT_TOP, signal: abandoned.signal },
        () => readInputs(request),
      );
      reply.header('x-model-cache', result.cache);
      return { predictions: result.predictions };
    },
  });
}
