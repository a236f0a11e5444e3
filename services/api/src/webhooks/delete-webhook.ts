/** DELETE /v1/webhooks/{id}: the webhook and its deliveries; pending ones are not sent. */
import { ApiError, isUuid } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';

export async function deleteWebhook(deps: ApiDeps, tenant: Tenant, id: string): Promise<void> {
  if (!isUuid(id) || !(await deps.db.webhooks.delete(tenant.id, id))) throw new ApiError('not_found', `No webhook ${id.slice(0, 64)}.`);
}
