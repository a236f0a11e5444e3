/** The /v1/jobs routes: HTTP in and out; the work is in ../jobs (one operation per file). */
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  cancelJob as cancelJobOperation,
  compareJobs as compareJobsOperation,
  deleteJob as deleteJobOperation,
  downloadJobCheckpoint,
  downloadJobModel,
  downloadJobModelFile,
  exportJobCheckpointModel,
  getJob as getJobOperation,
  getJobEvaluation,
  getJobMetrics,
  listJobCheckpoints,
  listJobs as listJobsOperation,
  submitJob as submitJobOperation,
  updateJob as updateJobOperation,
  jobSpecBodySchema,
} from '@trainyard/contracts';
import type { ApiDeps, ApiState } from '../context.js';
import { requireJsonBody } from '../http/json-body.js';
import { jobSpecValidationError } from '../http/limit-errors.js';
import { routeOf, typed } from '../http/operation-route.js';
import { submitJob } from '../jobs/submit-job.js';
import { listJobs } from '../jobs/list-jobs.js';
import { getJob } from '../jobs/get-job.js';
import { getMetrics } from '../jobs/get-metrics.js';
import { getEvaluation } from '../jobs/get-evaluation.js';
import { listCheckpoints, openCheckpoint } from '../jobs/checkpoints.js';
import { cancelJob } from '../jobs/cancel-job.js';
import { compareJobs } from '../jobs/compare-jobs.js';
import { updateJob } from '../jobs/update-job.js';
import { deleteJob } from '../jobs/delete-job.js';
import { openModelBundle, openModelFile, openModelSafetensors, type ModelDownload } from '../jobs/model-files.js';
import { exportCheckpointModel } from '../jobs/checkpoint-model.js';

function send(reply: FastifyReply, download: ModelDownload, disposition: 'inline' | 'attachment') {
  reply.type(download.contentType);
  if (download.bytes !== null) reply.header('content-length', String(download.bytes));
  reply.header('content-disposition', `${disposition}; filename="${download.fileName}"`);
  reply.header('cache-control', 'private, no-store');
  return reply.send(download.stream);
}

export async function jobRoutes(scope: FastifyInstance, deps: ApiDeps, state: ApiState): Promise<void> {
  const app = typed(scope);
  // The body with this deployment's limits (MAX_EPOCHS...), which the document then publishes.
  const submit = routeOf(submitJobOperation, scope);
  const body = jobSpecBodySchema({
    maxEpochs: deps.config.maxEpochs,
    maxBatchSize: deps.config.maxBatchSize,
    maxRuntimeSeconds: deps.config.maxRuntimeSeconds,
  });

  app.route({
    ...submit,
    schema: { ...submit.schema, body },
    preValidation: requireJsonBody,
    attachValidation: true,
    handler: async (request, reply) => {
      if (request.validationError) throw jobSpecValidationError(request.validationError, deps.config);
      const { job, replayed } = await submitJob(deps, state, request.tenant, request.body, request.headers['idempotency-key']);
      reply.header('location', job.links.self);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(job);
    },
  });

  app.route({ ...routeOf(listJobsOperation, scope), handler: async (request) => listJobs(deps, state, request.tenant, request.query) });

  // A static path: the router matches /v1/jobs/compare before /v1/jobs/{id}, whatever the order here.
  app.route({ ...routeOf(compareJobsOperation, scope), handler: async (request) => compareJobs(deps, request.tenant, request.query.ids) });

  app.route({ ...routeOf(getJobOperation, scope), handler: async (request) => getJob(deps, state, request.tenant, request.params.id) });

  app.route({
    ...routeOf(updateJobOperation, scope),
    // The job is found (or 404) before the body is judged: see jobs/update-job.ts.
    attachValidation: true,
    handler: async (request) =>
      updateJob(deps, state, request.tenant, request.params.id, {
        body: request.body,
        contentType: request.headers['content-type'],
        validationError: request.validationError,
      }),
  });

  app.route({ ...routeOf(getJobMetrics, scope), handler: async (request) => getMetrics(deps, request.tenant, request.params.id) });

  app.route({ ...routeOf(getJobEvaluation, scope), handler: async (request) => getEvaluation(deps, request.tenant, request.params.id) });

  app.route({
    ...routeOf(listJobCheckpoints, scope),
    handler: async (request) => listCheckpoints(deps, request.tenant, request.params.id),
  });

  app.route({
    ...routeOf(downloadJobCheckpoint, scope),
    handler: async (request, reply) => {
      const checkpoint = await openCheckpoint(deps, request.tenant, request.params.id, request.params.epoch);
      return send(reply, { ...checkpoint, contentType: 'application/octet-stream' }, 'attachment');
    },
  });

  app.route({
    ...routeOf(downloadJobModel, scope),
    handler: async (request, reply) => {
      const { id } = request.params;
      const download =
        request.query.format === 'safetensors'
          ? await openModelSafetensors(deps, request.tenant, id)
          : await openModelBundle(deps, request.tenant, id);
      return send(reply, download, 'attachment');
    },
  });

  app.route({
    ...routeOf(exportJobCheckpointModel, scope),
    handler: async (request, reply) => {
      const { id, epoch } = request.params;
      return send(reply, await exportCheckpointModel(deps, request.tenant, id, epoch, request.query.format ?? 'tfjs'), 'attachment');
    },
  });

  app.route({
    ...routeOf(downloadJobModelFile, scope),
    handler: async (request, reply) =>
      send(reply, await openModelFile(deps, request.tenant, request.params.id, request.params.file), 'inline'),
  });

  app.route({
    ...routeOf(cancelJobOperation, scope),
    handler: async (request, reply) => {
      const { job, immediate } = await cancelJob(deps, state, request.tenant, request.params.id);
      state.queuedCounts.delete(request.tenant.id); // a cancelled queued job frees its place at once
      return reply.code(immediate ? 200 : 202).send(job);
    },
  });

  app.route({
    ...routeOf(deleteJobOperation, scope),
    handler: async (request, reply) => {
      await deleteJob(deps, request.tenant, request.params.id);
      return reply.code(204).send();
    },
  });
}
