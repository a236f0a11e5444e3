/** GET /v1/architectures: the model catalog. */
import type { FastifyInstance } from 'fastify';
import { listArchitectureViews } from '../architectures/list-architectures.js';

export async function architectureRoutes(app: FastifyInstance): Promise<void> {
  app.get('/architectures', { schema: { summary: 'The model catalog, with parameter counts and minimum input sizes', tags: ['architectures'] } }, async () => ({
    architectures: listArchitectureViews(),
  }));
}
