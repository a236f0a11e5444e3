/**
 * DELETE /v1/datasets/{id}. Refused while a queued or running job uses the dataset. The row goes first
 * (no new job can pick the dataset), then its objects; finished jobs keep their results.
 */
import { ApiError } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findDataset } from './find-dataset.js';

export async function deleteDataset(deps: ApiDeps, tenant: Tenant, id: string): Promise<void> {
  const dataset = await findDataset(deps.db, tenant.id, id);
  if (await deps.db.jobs.datasetInUse(dataset.id)) {
    throw new ApiError('dataset_in_use', `Dataset ${dataset.id} is used by a queued or running job; cancel it or wait.`);
  }
  await deps.db.datasets.delete(dataset.id);
  try {
    await deps.storage.deletePrefix(dataset.storagePrefix);
  } catch (error) {
    deps.logger.error({ datasetId: dataset.id, err: error }, 'dataset row deleted but its objects could not be; they are orphaned');
  }
}
