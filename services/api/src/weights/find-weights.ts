/** The tenant's ready weights or 404 (another tenant's id is answered like an unknown one). */
import { ApiError, isUuid } from '@trainyard/contracts';
import type { Database, Weights } from '@trainyard/db';

export async function findWeights(db: Database, tenantId: string, id: string): Promise<Weights> {
  const weights = isUuid(id) ? await db.weights.findForTenant(tenantId, id) : null;
  if (!weights || weights.status !== 'ready') throw new ApiError('not_found', `No weights ${id.slice(0, 64)}.`);
  return weights;
}
