/** The /v1/datasets routes; the work is in ../datasets (one operation per file). */
import type { FastifyInstance } from 'fastify';
import {
  deleteDataset as deleteDatasetOperation,
  getDataset as getDatasetOperation,
  listDatasets as listDatasetsOperation,
  uploadDataset as uploadDatasetOperation,
} from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { routeOf, typed } from '../http/operation-route.js';
import { uploadDataset } from '../datasets/upload-dataset.js';
import { listDatasets } from '../datasets/list-datasets.js';
import { getDataset } from '../datasets/get-dataset.js';
import { deleteDataset } from '../datasets/delete-dataset.js';

export async function datasetRoutes(scope: FastifyInstance, deps: ApiDeps): Promise<void> {
  const app = typed(scope);
  app.route({
    ...routeOf(uploadDatasetOperation, scope),
    handler: async (request, reply) => {
      const dataset = await uploadDataset(deps, request.tenant, request);
      return reply.code(201).header('location', dataset.links.self).send(dataset);
    },
  });

  app.route({ ...routeOf(listDatasetsOperation, scope), handler: async (request) => listDatasets(deps, request.tenant, request.query) });

  app.route({ ...routeOf(getDatasetOperation, scope), handler: async (request) => getDataset(deps, request.tenant, request.params.id) });

  app.route({
    ...routeOf(deleteDatasetOperation, scope),
    handler: async (request, reply) => {
      await deleteDataset(deps, request.tenant, request.params.id);
      return reply.code(204).send();
    },
  });
}
