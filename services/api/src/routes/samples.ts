/**
 * GET /v1/jobs/{id}/samples and GET /v1/datasets/{id}/samples: a few test images per class, as
 * 8-bit pixels (../samples). The dashboard draws them and labels them with the trained model's
 * predictions, computed in the browser by TensorFlow.js.
 */
import type { FastifyInstance } from 'fastify';
import { getDatasetSamples, getJobSamples, type ResolvedJobSpec } from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { findJob } from '../jobs/find-job.js';
import { findDataset } from '../datasets/find-dataset.js';
import { builtinSamples, uploadedSamples } from '../samples/dataset-samples.js';
import { routeOf, typed } from '../http/operation-route.js';

export async function sampleRoutes(scope: FastifyInstance, deps: ApiDeps): Promise<void> {
  const app = typed(scope);
  app.route({
    ...routeOf(getJobSamples, scope),
    handler: async (request) => {
      const job = await findJob(deps.db, request.tenant.id, request.params.id);
      const dataset = (job.spec as unknown as ResolvedJobSpec).dataset;
      if ('builtin' in dataset) return builtinSamples(dataset.builtin);
      return uploadedSamples(deps, await findDataset(deps.db, request.tenant.id, dataset.id));
    },
  });

  app.route({
    ...routeOf(getDatasetSamples, scope),
    handler: async (request) => uploadedSamples(deps, await findDataset(deps.db, request.tenant.id, request.params.id)),
  });
}
