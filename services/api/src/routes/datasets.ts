/** The /v1/datasets routes; the work is in ../datasets (one operation per file). */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.js';
import { uploadDataset } from '../datasets/upload-dataset.js';
import { listDatasets } from '../datasets/list-datasets.js';
import { getDataset } from '../datasets/get-dataset.js';
import { deleteDataset } from '../datasets/delete-dataset.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 100 } } } as const;

export async function datasetRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.post(
    '/datasets',
    {
      schema: {
        summary: 'Upload a dataset (multipart: images + labels parts for IDX, or file parts; optional format and name fields)',
        tags: ['datasets'],
        consumes: ['multipart/form-data'],
      },
    },
    async (request, reply) => {
      const dataset = await uploadDataset(deps, request.tenant, request);
      return reply.code(201).header('location', dataset.links.self).send(dataset);
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/datasets',
    {
      schema: {
        summary: 'List datasets, newest first',
        tags: ['datasets'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            cursor: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (request) => listDatasets(deps, request.tenant, request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/datasets/:id',
    { schema: { summary: 'One dataset: classes, counts, input shape, validation', tags: ['datasets'], params: idParams } },
    async (request) => getDataset(deps, request.tenant, request.params.id),
  );

  app.delete<{ Params: { id: string } }>(
    '/datasets/:id',
    { schema: { summary: 'Delete a dataset', tags: ['datasets'], params: idParams } },
    async (request, reply) => {
      await deleteDataset(deps, request.tenant, request.params.id);
      return reply.code(204).send();
    },
  );
}
