/** GET /v1/webhooks/{id}/deliveries: newest first, each with every attempt. */
import type { ListWebhooksQuery, WebhookDeliveryList, WebhookDeliveryView } from '@trainyard/contracts';
import type { DeliveryRecord, Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findWebhook } from './find-webhook.js';
import { invalidCursor } from './list-webhooks.js';

export async function listWebhookDeliveries(
  deps: ApiDeps,
  tenant: Tenant,
  id: string,
  query: ListWebhooksQuery,
): Promise<WebhookDeliveryList> {
  const webhook = await findWebhook(deps.db, tenant.id, id);
  const page = await deps.db.webhooks.listDeliveries(webhook.id, { limit: query.limit ?? 20, cursor: query.cursor });
  if ('invalidCursor' in page) throw invalidCursor();
  return { deliveries: page.items.map(toDeliveryView), nextCursor: page.nextCursor };
}

function toDeliveryView(delivery: DeliveryRecord): WebhookDeliveryView {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType as WebhookDeliveryView['eventType'],
    subjectId: delivery.subjectId,
    status: delivery.status,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
    attempts: delivery.attempts.map((attempt) => ({
      startedAt: attempt.startedAt.toISOString(),
      durationMs: attempt.durationMs,
      responseStatus: attempt.responseStatus,
      error: attempt.error,
      nextRetryAt: attempt.nextRetryAt?.toISOString() ?? null,
    })),
  };
}
