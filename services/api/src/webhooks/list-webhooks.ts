/** GET /v1/webhooks: the tenant's webhooks, newest first. */
import { ApiError, type ListWebhooksQuery, type WebhookList } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { toWebhookView } from './webhook-view.js';

export async function listWebhooks(deps: ApiDeps, tenant: Tenant, query: ListWebhooksQuery): Promise<WebhookList> {
  const page = await deps.db.webhooks.list(tenant.id, { limit: query.limit ?? 20, cursor: query.cursor });
  if ('invalidCursor' in page) throw invalidCursor();
  return { webhooks: page.items.map(toWebhookView), nextCursor: page.nextCursor };
}

export function invalidCursor(): ApiError {
  return new ApiError('validation_failed', 'The cursor is not one this API returned.', [{ path: 'querystring.cursor', rule: 'cursor' }]);
}
