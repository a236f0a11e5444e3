/**
 * DELETE /v1/weights/{id}. Refused while a queued or running job starts from them. The row goes first
 * (no new job can name them), then the file; finished jobs keep their models.
 */
import { ApiError } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findWeights } from './find-weights.js';

export async function deleteWeights(deps: ApiDeps, tenant: Tenant, id: string): Promise<void> {
  const weights = await findWeights(deps.db, tenant.id, id);
  if (await deps.db.jobs.weightsInUse(weights.id)) {
    throw new ApiError('weights_in_use', `Weights ${weights.id} are used by a queued or running job; cancel it or wait.`);
  }
  await deps.db.weights.delete(weights.id);
  try {
    await deps.storage.delete(weights.storageKey);
  } catch (error) {
    deps.logger.error({ weightsId: weights.id, err: error }, 'weights row deleted but its file could not be; it is orphaned');
  }
}
