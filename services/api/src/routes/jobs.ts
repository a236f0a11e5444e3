/** The /v1/jobs routes: HTTP in and out; the work is in ../jobs (one operation per file). */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { buildJobSpecSchema, JOB_STATUSES, type JobSpec } from '@trainyard/contracts';
import type { ApiDeps, ApiState } from '../context.js';
import { requireJsonBody } from '../http/json-body.js';
import { jobSpecValidationError } from '../http/limit-errors.js';
import { submitJob } from '../jobs/submit-job.js';
import { listJobs, type ListJobsQuery } from '../jobs/list-jobs.js';
import { getJob } from '../jobs/get-job.js';
import { getMetrics } from '../jobs/get-metrics.js';
import { getEvaluation } from '../jobs/get-evaluation.js';
import { listCheckpoints, openCheckpoint } from '../jobs/checkpoints.js';
import { cancelJob } from '../jobs/cancel-job.js';
import { openModelBundle, openModelFile, type ModelDownload } from '../jobs/model-files.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 100 } },
} as const;

function send(reply: FastifyReply, download: ModelDownload, disposition: 'inline' | 'attachment') {
  reply.type(download.contentType);
  if (download.bytes !== null) reply.header('content-length', String(download.bytes));
  reply.header('content-disposition', `${disposition}; filename="${download.fileName}"`);
  reply.header('cache-control', 'private, no-store');
  return reply.send(download.stream);
}

export async function jobRoutes(app: FastifyInstance, deps: ApiDeps, state: ApiState): Promise<void> {
  const jobSpecSchema = buildJobSpecSchema({
    maxEpochs: deps.config.maxEpochs,
    maxBatchSize: deps.config.maxBatchSize,
    maxRuntimeSeconds: deps.config.maxRuntimeSeconds,
  });

  app.post<{ Body: JobSpec; Headers: { 'idempotency-key'?: string } }>(
    '/jobs',
    {
      preValidation: requireJsonBody,
      attachValidation: true,
      schema: {
        summary: 'Submit a training job',
        tags: ['jobs'],
        body: jobSpecSchema,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string' } } },
      },
    },
    async (request, reply) => {
      if (request.validationError) throw jobSpecValidationError(request.validationError, deps.config);
      const { job, replayed } = await submitJob(deps, state, request.tenant, request.body, request.headers['idempotency-key']);
      reply.header('location', job.links.self);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(job);
    },
  );

  app.get<{ Querystring: ListJobsQuery }>(
    '/jobs',
    {
      schema: {
        summary: 'List jobs, newest first',
        tags: ['jobs'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...JOB_STATUSES] },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            cursor: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (request) => listJobs(deps, request.tenant, request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    { schema: { summary: 'One job: status, phase, progress, metrics, error', tags: ['jobs'], params: idParams } },
    async (request) => getJob(deps, request.tenant, request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/metrics',
    { schema: { summary: 'Per-epoch metrics, ascending', tags: ['jobs'], params: idParams } },
    async (request) => getMetrics(deps, request.tenant, request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/evaluation',
    { schema: { summary: 'Final metrics on the test set', tags: ['jobs'], params: idParams } },
    async (request) => getEvaluation(deps, request.tenant, request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/checkpoints',
    { schema: { summary: 'Stored checkpoints', tags: ['jobs'], params: idParams } },
    async (request) => listCheckpoints(deps, request.tenant, request.params.id),
  );

  app.get<{ Params: { id: string; epoch: number } }>(
    '/jobs/:id/checkpoints/:epoch',
    {
      schema: {
        summary: "Download one epoch's checkpoint",
        tags: ['jobs'],
        params: {
          type: 'object',
          required: ['id', 'epoch'],
          properties: { id: { type: 'string', maxLength: 100 }, epoch: { type: 'integer', minimum: 0, maximum: 1_000_000 } },
        },
      },
    },
    async (request, reply) => {
      const checkpoint = await openCheckpoint(deps, request.tenant, request.params.id, request.params.epoch);
      return send(reply, { ...checkpoint, contentType: 'application/octet-stream' }, 'attachment');
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/model',
    { schema: { summary: 'The trained model as one .tar.gz', tags: ['models'], params: idParams } },
    async (request, reply) => send(reply, await openModelBundle(deps, request.tenant, request.params.id), 'attachment'),
  );

  app.get<{ Params: { id: string; file: string } }>(
    '/jobs/:id/model/:file',
    {
      schema: {
        summary: 'One file of the trained model (model.json, weight shards, manifest.json) for tf.loadLayersModel',
        tags: ['models'],
        params: {
          type: 'object',
          required: ['id', 'file'],
          properties: { id: { type: 'string', maxLength: 100 }, file: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (request, reply) => send(reply, await openModelFile(deps, request.tenant, request.params.id, request.params.file), 'inline'),
  );

  app.post<{ Params: { id: string } }>(
    '/jobs/:id/cancel',
    { schema: { summary: 'Cancel a job', tags: ['jobs'], params: idParams } },
    async (request, reply) => {
      const { job, immediate } = await cancelJob(deps, request.tenant, request.params.id);
      state.queuedCounts.delete(request.tenant.id); // a cancelled queued job frees its place at once
      return reply.code(immediate ? 200 : 202).send(job);
    },
  );
}
