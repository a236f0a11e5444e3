/**
 * GET /v1/jobs/{id}/samples and GET /v1/datasets/{id}/samples: a few test images per class, as
 * 8-bit pixels (../samples). The dashboard draws them and labels them with the trained model's
 * predictions, computed in the browser by TensorFlow.js.
 */
import type { FastifyInstance } from 'fastify';
import type { ResolvedJobSpec } from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { findJob } from '../jobs/find-job.js';
import { findDataset } from '../datasets/find-dataset.js';
import { builtinSamples, uploadedSamples } from '../samples/dataset-samples.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 100 } } } as const;
const description =
  'Answers { split: "test", inputShape: [h, w, c], classNames, samples: [{ index, label, pixels }] } where pixels are the ' +
  'image\'s h*w*c bytes (0-255, HWC order) in base64; up to 4 images for each of the first 20 classes.';

export async function sampleRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/jobs/:id/samples',
    { schema: { summary: "Sample test images of the job's dataset", description, tags: ['jobs'], params: idParams } },
    async (request) => {
      const job = await findJob(deps.db, request.tenant.id, request.params.id);
      const dataset = (job.spec as unknown as ResolvedJobSpec).dataset;
      if ('builtin' in dataset) return builtinSamples(dataset.builtin);
      return uploadedSamples(deps, await findDataset(deps.db, request.tenant.id, dataset.id));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/datasets/:id/samples',
    { schema: { summary: 'Sample test images of a dataset', description, tags: ['datasets'], params: idParams } },
    async (request) => uploadedSamples(deps, await findDataset(deps.db, request.tenant.id, request.params.id)),
  );
}
