/**
 * POST /v1/jobs/{id}/cancel.
 * - queued: cancelled at once (one conditional update), and its queue entry removed if still there
 *   (a worker that takes it anyway finds it cancelled and drops it);
 * - running: the request is recorded on the row (workers also see it on their heartbeat) and
 *   published to every worker; the one running it stops within a batch and marks it cancelled;
 * - finished: 409 job_not_cancellable.
 */
import { ApiError, type JobView } from '@trainyard/contracts';
import type { Job, Tenant } from '@trainyard/db';
import type { ApiDeps, ApiState } from '../context.js';
import { findJob } from './find-job.js';
import { getJob } from './get-job.js';

export async function cancelJob(deps: ApiDeps, state: ApiState, tenant: Tenant, id: string): Promise<{ job: JobView; immediate: boolean }> {
  const job = await findJob(deps.db, tenant.id, id);
  const outcome = await stopJob(deps, job);
  if (outcome === 'finished') {
    const now = await findJob(deps.db, tenant.id, job.id);
    throw new ApiError('job_not_cancellable', `Job ${job.id} has already finished (${now.status}).`, { status: now.status });
  }
  return { job: await getJob(deps, state, tenant, job.id), immediate: outcome === 'cancelled' };
}

/**
 * Cancels a queued job at once (`cancelled`), or asks the worker running it to stop (`requested`);
 * `finished` when it had already ended. A sweep's cancel stops its trials with it.
 */
export async function stopJob(deps: ApiDeps, job: Pick<Job, 'id' | 'status'>): Promise<'cancelled' | 'requested' | 'finished'> {
  if (job.status === 'queued' && (await deps.db.jobs.cancelQueued(job.id))) {
    await deps.queue.removeQueued(job.id).catch((error: unknown) => {
      deps.logger.warn({ jobId: job.id, err: error }, 'could not remove a cancelled job from the queue; workers will skip it');
    });
    return 'cancelled';
  }
  // Not queued any more (or a worker claimed it meanwhile): ask the worker running it.
  await deps.db.jobs.requestCancel(job.id);
  const now = await deps.db.jobs.get(job.id);
  if (now?.status !== 'running') return now?.status === 'cancelled' && job.status !== 'cancelled' ? 'cancelled' : 'finished';
  await deps.queue.publishCancel(job.id).catch((error: unknown) => {
    deps.logger.warn({ jobId: job.id, err: error }, 'cancel publish failed; the worker will see the request on its next heartbeat');
  });
  return 'requested';
}
