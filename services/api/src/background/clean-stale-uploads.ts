/**
 * Removes datasets and weights stuck in `uploading` (the API died while copying validated files to
 * storage) with their objects, once they are clearly abandoned.
 */
import type { ApiDeps } from '../context.js';
import { removeDataset } from '../datasets/upload-dataset.js';
import { removeWeights } from '../weights/upload-weights.js';

const ABANDONED_AFTER_MS = 6 * 3600_000;

export async function cleanStaleUploads(deps: ApiDeps, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - ABANDONED_AFTER_MS);
  const stale = await deps.db.datasets.findStaleUploads(before);
  for (const dataset of stale) await removeDataset(deps, dataset.id, dataset.storagePrefix);
  const staleWeights = await deps.db.weights.findStaleUploads(before);
  for (const weights of staleWeights) await removeWeights(deps, weights.id, weights.storageKey);
  if (stale.length + staleWeights.length > 0) {
    deps.logger.info({ datasets: stale.length, weights: staleWeights.length }, 'removed abandoned uploads');
  }
  return stale.length + staleWeights.length;
}
