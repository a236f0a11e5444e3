/** GET /v1/architectures: the model catalog. */
import type { FastifyInstance } from 'fastify';
import { listArchitectures } from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { routeOf, typed } from '../http/operation-route.js';
import { listArchitectureViews } from '../architectures/list-architectures.js';

export async function architectureRoutes(scope: FastifyInstance, _deps: ApiDeps): Promise<void> {
  typed(scope).route({ ...routeOf(listArchitectures, scope), handler: async () => ({ architectures: listArchitectureViews() }) });
}
