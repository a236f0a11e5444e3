/**
 * Removes datasets stuck in `uploading` (the API died while copying validated files to storage) with
 * their objects, once they are clearly abandoned.
 */
import type { ApiDeps } from '../context.js';
import { removeDataset } from '../datasets/upload-dataset.js';

const ABANDONED_AFTER_MS = 6 * 3600_000;

export async function cleanStaleUploads(deps: ApiDeps, now = new Date()): Promise<number> {
  const stale = await deps.db.datasets.findStaleUploads(new Date(now.getTime() - ABANDONED_AFTER_MS));
  for (const dataset of stale) await removeDataset(deps, dataset.id, dataset.storagePrefix);
  if (stale.length > 0) deps.logger.info({ removed: stale.length }, 'removed abandoned dataset uploads');
  return stale.length;
}
