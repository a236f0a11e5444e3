/** The API's periodic housekeeping; each task runs alone (never overlapping itself) and logs its failures. */
import type { ApiDeps } from '../context.js';
import { cleanStaleUploads } from './clean-stale-uploads.js';
import { enqueuePending } from './enqueue-pending.js';
import { deleteExpiredJobs } from './delete-expired-jobs.js';

const IDEMPOTENCY_KEY_DAYS = 7;

function every(ms: number, name: string, deps: ApiDeps, task: () => Promise<unknown>): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (error) {
      deps.logger.warn({ err: error, task: name }, 'background task failed; it will run again');
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(() => void run(), ms);
  timer.unref();
  return () => clearInterval(timer);
}

export function startBackgroundTasks(deps: ApiDeps): () => void {
  const stops = [
    every(5_000, 'enqueue-pending', deps, () => enqueuePending(deps)),
    every(600_000, 'clean-stale-uploads', deps, () => cleanStaleUploads(deps)),
    every(600_000, 'delete-expired-jobs', deps, () => deleteExpiredJobs(deps)),
    every(3600_000, 'prune-idempotency-keys', deps, () =>
      deps.db.jobs.pruneIdempotencyKeys(new Date(Date.now() - IDEMPOTENCY_KEY_DAYS * 86400_000)),
    ),
  ];
  return () => stops.forEach((stop) => stop());
}
