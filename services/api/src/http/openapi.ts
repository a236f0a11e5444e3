/** /openapi.json (generated from the route schemas) and /docs (Swagger UI, served from node_modules). */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { addOpenApiExamples } from './openapi-examples.js';

export async function registerOpenApi(app: FastifyInstance, options: { docs: boolean }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Trainyard API',
        version: '1',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        description:
          'Train CNN image classifiers on demand. Every /v1 route needs "Authorization: Bearer <key>" ' +
          '(create one with `trainyard keys create --tenant NAME`). Errors are { "error": { "code", "message", "details"? } }.',
      },
      servers: [{ url: '/', description: 'This service (the document is served by the API it describes)' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A tenant API key (`trainyard keys create --tenant NAME`)' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, for /admin/v1' },
        },
      },
      security: [{ bearer: [] }],
    },
    transformObject: (document) => addOpenApiExamples(('openapiObject' in document ? document.openapiObject : {}) as never),
  });
  if (options.docs) await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
