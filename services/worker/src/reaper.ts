/**
 * Reconciles Postgres with the queue for jobs whose worker vanished without a trace: a job `running`
 * whose heartbeat stopped long ago (longer than the queue's own takeover needs) goes back to `queued`
 * and into the queue again. Runs in every worker, at start-up and then periodically; the conditional
 * update lets only one of them move each job.
 */
import type { Database } from '@trainyard/db';
import type { TrainingQueue } from '@trainyard/queue';
import type { Logger } from './logger.js';

export async function reapStaleJobs(db: Database, queue: TrainingQueue, staleAfterMs: number, logger: Logger): Promise<number> {
  const staleBefore = new Date(Date.now() - staleAfterMs);
  let reaped = 0;
  for (const job of await db.jobs.findStale(staleBefore)) {
    if (!(await db.jobs.requeue(job.id, { staleBefore }))) continue;
    const added = await queue.enqueue(job.id);
    // An entry still held by a worker may yet be completed by it: the job is marked enqueued only
    // once it has an entry that will be handed out (else the queue reconciliation restores one).
    const entry = added ? 'waiting' : await queue.state(job.id);
    if (entry !== 'active') await db.jobs.markEnqueued(job.id);
    logger.warn(
      { jobId: job.id, previousWorker: job.workerId, heartbeatAt: job.heartbeatAt, entry },
      'requeued a job whose worker stopped beating',
    );
    reaped += 1;
  }
  return reaped;
}
