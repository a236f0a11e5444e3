/** GET /v1/architectures: the model catalog. */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.js';
import { listArchitectureViews } from '../architectures/list-architectures.js';

export async function architectureRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get(
    '/architectures',
    { schema: { summary: 'The model catalog, with parameter counts and minimum input sizes', tags: ['architectures'] } },
    async () => ({ architectures: await listArchitectureViews(deps.logger) }),
  );
}
