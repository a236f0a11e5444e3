/**
 * JOB_RETENTION_DAYS: finished jobs older than that are deleted as DELETE /v1/jobs/{id} deletes them
 * (rows, then storage objects); one that a queued or running job still starts from is kept for now.
 */
import { ApiError } from '@trainyard/contracts';
import type { ApiDeps } from '../context.js';
import { removeFinishedJob } from '../jobs/delete-job.js';

export async function deleteExpiredJobs(
  deps: Pick<ApiDeps, 'db' | 'storage' | 'logger' | 'config' | 'queue'>,
  now = new Date(),
): Promise<number> {
  const days = deps.config.jobRetentionDays;
  if (days === undefined) return 0;
  let deleted = 0;
  for (const job of await deps.db.jobs.findFinishedBefore(new Date(now.getTime() - days * 86_400_000))) {
    try {
      await removeFinishedJob(deps, job.id);
      deleted += 1;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error; // referenced, or deleted meanwhile: next round
    }
  }
  if (deleted > 0) deps.logger.info({ deleted, retentionDays: days }, 'deleted jobs past JOB_RETENTION_DAYS');
  return deleted;
}
