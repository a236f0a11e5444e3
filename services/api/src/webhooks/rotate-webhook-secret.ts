/** POST /v1/webhooks/{id}/rotate-secret: a new secret signs every attempt from now on. */
import { ApiError, isUuid, type WebhookWithSecret } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { newWebhookSecret } from './signature.js';
import { withSecret } from './webhook-view.js';

export async function rotateWebhookSecret(deps: ApiDeps, tenant: Tenant, id: string): Promise<WebhookWithSecret> {
  const webhook = isUuid(id) ? await deps.db.webhooks.rotateSecret(tenant.id, id, newWebhookSecret()) : null;
  if (!webhook) throw new ApiError('not_found', `No webhook ${id.slice(0, 64)}.`);
  return withSecret(webhook);
}
