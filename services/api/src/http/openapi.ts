/**
 * /openapi.json and /docs (Swagger UI, served from node_modules). The document is generated from the
 * operations of @trainyard/contracts, through the routes registered from them: @fastify/swagger
 * reads each route's schema (operationId, parameters, bodies, every response with its headers);
 * this file adds the document-wide parts and the examples.
 */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { JobWebhookEventSchema } from '@trainyard/contracts';
import { addOpenApiExamples } from './openapi-examples.js';

const API_DESCRIPTION =
  'Train CNN image classifiers on demand. Every /v1 route needs "Authorization: Bearer <key>" ' +
  '(create one with `npx trainyard keys create --tenant NAME`); /admin/v1, present when ADMIN_TOKEN is set, needs ' +
  '"Authorization: Bearer <ADMIN_TOKEN>". Errors are { "error": { "code", "message", "details"? } } with a code of the ' +
  'error catalogue; each response lists the codes it can carry.';

/** A multipart body is documented, not validated by Fastify: the route streams its parts to disk. */
function documentMultipart({ schema, url }: { schema: Record<string, unknown>; url: string }) {
  if (!schema?.multipartBody) return { schema, url };
  const { multipartBody, ...rest } = schema;
  return { schema: { ...rest, body: multipartBody, consumes: ['multipart/form-data'] }, url };
}

type Responses = Record<string, { headers?: Record<string, { required?: boolean }> }>;

/** Every answer carries X-Request-Id, and a 401 says the scheme it wants (WWW-Authenticate). */
function requireHeaders<T extends { paths?: Record<string, Record<string, { responses?: Responses }>> }>(document: T): T {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const headers = response.headers ?? {};
        if (headers['x-request-id']) headers['x-request-id'].required = true;
        if (status === '401' && headers['www-authenticate']) headers['www-authenticate'].required = true;
      }
    }
  }
  return document;
}

export async function registerOpenApi(app: FastifyInstance, options: { docs: boolean }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Trainyard API',
        version: '1',
        description: API_DESCRIPTION,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: 'http://127.0.0.1:3000', description: 'A service started with `npm start` (PORT 3000)' }],
      tags: [
        { name: 'jobs', description: 'Training jobs: submit, follow, results' },
        { name: 'models', description: 'Trained models, as files' },
        { name: 'datasets', description: 'Uploaded datasets' },
        { name: 'architectures', description: 'The model catalog' },
        { name: 'operations', description: 'Health and metrics, without a key' },
        { name: 'admin', description: 'Tenants and API keys (when ADMIN_TOKEN is set)' },
        { name: 'webhooks', description: 'Signed, retried POSTs of job events to your endpoints' },
      ],
      // What the service sends to a registered webhook (POST /v1/webhooks).
      webhooks: {
        jobEvent: {
          post: {
            operationId: 'receiveJobEvent',
            summary: 'A job event, as your endpoint receives it',
            description:
              'Headers (Standard Webhooks): webhook-id (the event id, the same on every retry), webhook-timestamp (Unix seconds) and ' +
              'webhook-signature: "v1," and the base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" keyed by the base64 ' +
              'after "whsec_" of the secret. Answer 2xx within 10 s; anything else is retried with exponential backoff for 24 h.',
            tags: ['webhooks'],
            security: [],
            requestBody: { required: true, content: { 'application/json': { schema: JobWebhookEventSchema } } },
            responses: { '200': { description: 'Received (any 2xx)' } },
          },
        },
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A tenant API key (`npx trainyard keys create --tenant NAME`)' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, for /admin/v1' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: documentMultipart as never,
    transformObject: (document) => requireHeaders(addOpenApiExamples(('openapiObject' in document ? document.openapiObject : {}) as never)),
  });
  if (options.docs) await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
