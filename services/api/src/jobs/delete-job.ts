/**
 * DELETE /v1/jobs/{id}, and JOB_RETENTION_DAYS: a finished job's rows (the job, its metrics,
 * checkpoints, model and idempotency keys), then its storage objects (checkpoints, model, bundle, its
 * stored log) and its live log in Redis, if one is left.
 * 409 job_not_deletable while it is queued or running, or while a queued or running job starts from
 * its model (model.pretrained.jobId or fineTuneFrom).
 */
import { ApiError } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import { jobKeys } from '@trainyard/storage';
import type { ApiDeps } from '../context.js';
import { findJob } from './find-job.js';

export async function deleteJob(deps: Pick<ApiDeps, 'db' | 'storage' | 'logger' | 'queue'>, tenant: Tenant, id: string): Promise<void> {
  const job = await findJob(deps.db, tenant.id, id);
  await removeFinishedJob(deps, job.id);
}

/** Throws not_found or job_not_deletable; the objects are deleted after the rows, so nothing points at a missing one. */
export async function removeFinishedJob(deps: Pick<ApiDeps, 'db' | 'storage' | 'logger' | 'queue'>, jobId: string): Promise<void> {
  const result = await deps.db.jobs.deleteFinished(jobId);
  if (result === 'not_found') throw new ApiError('not_found', `No job ${jobId}.`);
  if (result === 'active') {
    throw new ApiError('job_not_deletable', `Job ${jobId} is queued or running; cancel it first.`, { reason: 'active' });
  }
  if (result === 'referenced') {
    throw new ApiError('job_not_deletable', `A queued or running job starts from the model of job ${jobId}.`, { reason: 'referenced' });
  }
  const prefix = jobKeys(jobId).root;
  try {
    deps.logger.info({ jobId, objects: await deps.storage.deletePrefix(prefix) }, 'job deleted');
  } catch (error) {
    // The rows are gone, so nothing refers to these objects any more; an operator can remove them.
    deps.logger.error({ jobId, prefix, err: error }, 'job deleted, but not its storage objects');
  }
  // A job normally ends with its log stored; a worker that died first left it in Redis (it expires there).
  await deps.queue
    .deleteJobLog(jobId)
    .catch((error) => deps.logger.warn({ jobId, err: error }, 'job deleted, but not its live log in Redis'));
}
