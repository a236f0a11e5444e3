/**
 * The queue outbox: jobs are written to Postgres first, then enqueued. When the enqueue failed (Redis
 * down at submission, the API killed in between) the job stays `queued` with enqueued_at NULL; this
 * loop finds such jobs and enqueues them. Enqueueing is idempotent (the queue job id is ours), so
 * several API instances running this loop at once do no harm.
 */
import type { ApiDeps } from '../context.js';

/** Jobs younger than this are left to the request that created them. */
const GRACE_MS = 5_000;

export async function enqueuePending(deps: Pick<ApiDeps, 'db' | 'queue' | 'logger'>, now = new Date()): Promise<number> {
  const pending = await deps.db.jobs.findUnenqueued(new Date(now.getTime() - GRACE_MS));
  let enqueued = 0;
  for (const job of pending) {
    await deps.queue.enqueue(job.id);
    await deps.db.jobs.markEnqueued(job.id);
    enqueued += 1;
  }
  if (enqueued > 0) deps.logger.info({ enqueued }, 'enqueued jobs left behind by earlier failures');
  return enqueued;
}
