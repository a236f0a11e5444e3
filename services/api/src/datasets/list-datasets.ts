/** GET /v1/datasets: the tenant's ready datasets, newest first. */
import { ApiError, type DatasetView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { toDatasetView } from './dataset-view.js';

export async function listDatasets(
  deps: ApiDeps,
  tenant: Tenant,
  query: { limit?: number; cursor?: string },
): Promise<{ datasets: DatasetView[]; nextCursor: string | null }> {
  const page = await deps.db.datasets.list(tenant.id, { limit: query.limit ?? 20, cursor: query.cursor });
  if ('invalidCursor' in page) {
    throw new ApiError('validation_failed', 'The cursor is not one this API returned.', [{ path: 'querystring.cursor', rule: 'cursor' }]);
  }
  return { datasets: page.items.map(toDatasetView), nextCursor: page.nextCursor };
}
