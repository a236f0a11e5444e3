/**
 * Reconciles the queue with Postgres the other way round from the reaper: every `queued` job must
 * have a live queue entry (waiting, delayed or held by a worker), or no worker would ever take it.
 * An entry can vanish through Redis data loss, or when a worker that lost its job completes the
 * entry after the job went back to `queued`. Runs in every worker, periodically; enqueueing is
 * idempotent (the entry's id is the job's), so workers doing it at once do no harm.
 */
import type { Database } from '@trainyard/db';
import type { TrainingQueue } from '@trainyard/queue';
import type { Logger } from './logger.js';

/** A job changed more recently than this may be between Postgres and the queue (being handed back). */
const SETTLE_MS = 5_000;

export async function reconcileQueue(
  db: Pick<Database, 'jobs'>,
  queue: Pick<TrainingQueue, 'liveEntryIds' | 'state' | 'enqueue' | 'countRestored'>,
  logger: Logger,
): Promise<number> {
  const queued = await db.jobs.findQueuedIds(new Date(Date.now() - SETTLE_MS));
  if (queued.length === 0) return 0;
  const live = await queue.liveEntryIds();
  let restored = 0;
  for (const jobId of queued) {
    if (live.has(jobId)) continue;
    // Looked at again alone: the lists above were read while workers moved entries between them.
    const state = await queue.state(jobId);
    if (state !== 'missing' && state !== 'completed' && state !== 'failed') continue;
    if (!(await queue.enqueue(jobId))) continue;
    await db.jobs.markEnqueued(jobId);
    logger.warn({ jobId, code: 'queue_entry_restored', previousEntry: state }, 'a queued job had no queue entry; enqueued it again');
    restored += 1;
  }
  await queue.countRestored(restored);
  return restored;
}
