/** GET /v1/webhooks/{id}: the webhook without its secret. */
import type { WebhookView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findWebhook } from './find-webhook.js';
import { toWebhookView } from './webhook-view.js';

export async function getWebhook(deps: ApiDeps, tenant: Tenant, id: string): Promise<WebhookView> {
  return toWebhookView(await findWebhook(deps.db, tenant.id, id));
}
