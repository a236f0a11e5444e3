/** GET /v1/workers: every live worker with its engine, device, class and load (counts, no job ids). */
import type { FastifyInstance } from 'fastify';
import { listWorkers } from '@trainyard/contracts';
import type { ApiState } from '../context.js';
import { routeOf, typed } from '../http/operation-route.js';
import { toWorkerView } from '../workers/live-workers.js';

export async function workerRoutes(scope: FastifyInstance, state: ApiState): Promise<void> {
  typed(scope).route({
    ...routeOf(listWorkers, scope),
    handler: async () => ({ workers: (await state.liveWorkers.list()).map(toWorkerView).sort((a, b) => a.id.localeCompare(b.id)) }),
  });
}
