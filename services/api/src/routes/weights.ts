/** The /v1/weights routes; the work is in ../weights (one operation per file). */
import type { FastifyInstance } from 'fastify';
import {
  deleteWeights as deleteWeightsOperation,
  getWeights as getWeightsOperation,
  listWeights as listWeightsOperation,
  uploadWeights as uploadWeightsOperation,
} from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { routeOf, typed } from '../http/operation-route.js';
import { deleteWeights } from '../weights/delete-weights.js';
import { getWeights } from '../weights/get-weights.js';
import { listWeights } from '../weights/list-weights.js';
import { uploadWeights } from '../weights/upload-weights.js';

export async function weightsRoutes(scope: FastifyInstance, deps: ApiDeps): Promise<void> {
  const app = typed(scope);
  app.route({
    ...routeOf(uploadWeightsOperation, scope),
    handler: async (request, reply) => {
      const weights = await uploadWeights(deps, request.tenant, request);
      return reply.code(201).header('location', weights.links.self).send(weights);
    },
  });
  app.route({ ...routeOf(listWeightsOperation, scope), handler: async (request) => listWeights(deps, request.tenant, request.query) });
  app.route({ ...routeOf(getWeightsOperation, scope), handler: async (request) => getWeights(deps, request.tenant, request.params.id) });
  app.route({
    ...routeOf(deleteWeightsOperation, scope),
    handler: async (request, reply) => {
      await deleteWeights(deps, request.tenant, request.params.id);
      return reply.code(204).send();
    },
  });
}
