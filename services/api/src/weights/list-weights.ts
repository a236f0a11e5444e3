/** GET /v1/weights: the tenant's ready weights, newest first, paged like datasets. */
import { ApiError, type ListWeightsQuery, type WeightsList } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { toWeightsView } from './weights-view.js';

export async function listWeights(deps: ApiDeps, tenant: Tenant, query: ListWeightsQuery): Promise<WeightsList> {
  const page = await deps.db.weights.list(tenant.id, { limit: query.limit ?? 20, cursor: query.cursor });
  if ('invalidCursor' in page) {
    throw new ApiError('validation_failed', 'The cursor is not one this API returned.', [{ path: 'querystring.cursor', rule: 'cursor' }]);
  }
  return { weights: page.items.map(toWeightsView), nextCursor: page.nextCursor };
}
