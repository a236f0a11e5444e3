/** The tenant's webhook or 404 (another tenant's id is answered like an unknown one). */
import { ApiError, isUuid } from '@trainyard/contracts';
import type { Database, Webhook } from '@trainyard/db';

export async function findWebhook(db: Database, tenantId: string, id: string): Promise<Webhook> {
  const webhook = isUuid(id) ? await db.webhooks.findForTenant(tenantId, id) : null;
  if (!webhook) throw new ApiError('not_found', `No webhook ${id.slice(0, 64)}.`);
  return webhook;
}
