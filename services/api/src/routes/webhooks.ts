/** The /v1/webhooks routes; the work is in ../webhooks (one operation per file). */
import type { FastifyInstance } from 'fastify';
import {
  createWebhook as createWebhookOperation,
  deleteWebhook as deleteWebhookOperation,
  getWebhook as getWebhookOperation,
  listWebhookDeliveries as listWebhookDeliveriesOperation,
  listWebhooks as listWebhooksOperation,
  rotateWebhookSecret as rotateWebhookSecretOperation,
} from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { routeOf, typed } from '../http/operation-route.js';
import { createWebhook } from '../webhooks/create-webhook.js';
import { deleteWebhook } from '../webhooks/delete-webhook.js';
import { getWebhook } from '../webhooks/get-webhook.js';
import { listWebhookDeliveries } from '../webhooks/list-webhook-deliveries.js';
import { listWebhooks } from '../webhooks/list-webhooks.js';
import { rotateWebhookSecret } from '../webhooks/rotate-webhook-secret.js';

export async function webhookRoutes(scope: FastifyInstance, deps: ApiDeps): Promise<void> {
  const app = typed(scope);
  app.route({
    ...routeOf(createWebhookOperation, scope),
    handler: async (request, reply) => {
      const webhook = await createWebhook(deps, request.tenant, request.body);
      return reply.code(201).header('location', webhook.links.self).send(webhook);
    },
  });
  app.route({ ...routeOf(listWebhooksOperation, scope), handler: async (request) => listWebhooks(deps, request.tenant, request.query) });
  app.route({ ...routeOf(getWebhookOperation, scope), handler: async (request) => getWebhook(deps, request.tenant, request.params.id) });
  app.route({
    ...routeOf(deleteWebhookOperation, scope),
    handler: async (request, reply) => {
      await deleteWebhook(deps, request.tenant, request.params.id);
      return reply.code(204).send();
    },
  });
  app.route({
    ...routeOf(rotateWebhookSecretOperation, scope),
    handler: async (request) => rotateWebhookSecret(deps, request.tenant, request.params.id),
  });
  app.route({
    ...routeOf(listWebhookDeliveriesOperation, scope),
    handler: async (request) => listWebhookDeliveries(deps, request.tenant, request.params.id, request.query),
  });
}
