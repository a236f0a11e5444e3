/**
 * One step of a running sweep, from Postgres: creates the next trials while fewer than
 * maxConcurrentTrials are queued or running (and the tenant is below MAX_QUEUED_JOBS_PER_TENANT:
 * otherwise the trial waits for the next step rather than failing), enqueues them, and ends the
 * sweep once every trial has ended. The sweep loop (background/advance-sweeps.ts) runs it for every
 * running sweep; the repository's lock on the sweep row makes it safe in several API processes.
 */
import { ApiError, trialSpec } from '@trainyard/contracts';
import type { NewTrial } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { prepareJob } from '../jobs/submit-job.js';
import { sweepPlanOf, sweepSpecOf } from './sweep-view.js';
import { sweepView } from './get-sweep.js';

export async function advanceSweep(deps: ApiDeps, sweepId: string): Promise<void> {
  const sweep = await deps.db.sweeps.get(sweepId);
  if (!sweep || sweep.status !== 'running') return;
  const spec = sweepSpecOf(sweep);
  const plan = sweepPlanOf(sweep);
  const counts = await deps.db.sweeps.trialCounts(sweepId);
  const room = Math.min(spec.maxConcurrentTrials - counts.queued - counts.running, plan.length - sweep.trialsCreated);
  if (room > 0) {
    const trials: NewTrial[] = [];
    for (let trial = sweep.trialsCreated; trial < sweep.trialsCreated + room; trial++) {
      try {
        const job = await prepareJob(deps, sweep.tenantId, trialSpec(spec.base, plan[trial]!, spec.searcher));
        trials.push({ ...job, name: `${sweep.name ?? 'sweep'} trial ${trial}`, maxQueued: deps.config.maxQueuedJobsPerTenant, trial });
      } catch (error) {
        // Checked at submission; a dataset or source deleted since makes every later trial fail too.
        if (!(error instanceof ApiError)) throw error;
        await deps.db.sweeps.fail(sweepId, { code: error.code, message: `Trial ${trial} cannot be created: ${error.message}` }, (moved) =>
          sweepView(deps, moved),
        );
        deps.logger.warn({ sweepId, trial, code: error.code }, 'sweep failed: a trial cannot be created');
        return;
      }
    }
    const created = await deps.db.sweeps.createTrials(sweepId, sweep.trialsCreated, trials);
    for (const job of created) {
      await deps.queue.enqueueNew(job.id).then(
        () => deps.db.jobs.markEnqueued(job.id),
        (error: unknown) => deps.logger.warn({ jobId: job.id, err: error }, 'enqueue failed; the outbox will enqueue the trial later'),
      );
    }
    if (created.length > 0) deps.logger.info({ sweepId, trials: created.map((job) => job.sweepTrial) }, 'sweep trials created');
  }
  const finished = await deps.db.sweeps.finishIfDone(sweepId, (moved) => sweepView(deps, moved));
  if (finished) deps.logger.info({ sweepId, status: finished }, 'sweep finished');
}
