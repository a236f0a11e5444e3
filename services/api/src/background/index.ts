/** The API's periodic housekeeping; each task runs alone (never overlapping itself) and logs its failures. */
import type { ApiDeps } from '../context.js';
import { cleanStaleUploads } from './clean-stale-uploads.js';
import { enqueuePending } from './enqueue-pending.js';
import { deleteExpiredJobs } from './delete-expired-jobs.js';
import { WebhookDeliverer } from '../webhooks/webhook-deliverer.js';
import { advanceSweeps } from './advance-sweeps.js';

const IDEMPOTENCY_KEY_DAYS = 7;
/** Delivered and failed webhook deliveries are listed this long (GET /v1/webhooks/{id}/deliveries). */
const WEBHOOK_HISTORY_DAYS = 7;

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

/** Starts the loops; the function returned stops them and waits for the webhook attempts in flight. */
export function startBackgroundTasks(deps: ApiDeps): () => Promise<void> {
  const webhooks = new WebhookDeliverer(deps);
  const stops = [
    every(1_000, 'deliver-webhooks', deps, () => webhooks.kick()),
    every(3600_000, 'prune-webhook-events', deps, () =>
      deps.db.webhooks.pruneEvents(new Date(Date.now() - WEBHOOK_HISTORY_DAYS * 86400_000)),
    ),
    every(5_000, 'enqueue-pending', deps, () => enqueuePending(deps)),
    every(1_000, 'advance-sweeps', deps, () => advanceSweeps(deps)),
    every(600_000, 'clean-stale-uploads', deps, () => cleanStaleUploads(deps)),
    every(600_000, 'delete-expired-jobs', deps, () => deleteExpiredJobs(deps)),
    every(3600_000, 'prune-idempotency-keys', deps, () =>
      deps.db.jobs.pruneIdempotencyKeys(new Date(Date.now() - IDEMPOTENCY_KEY_DAYS * 86400_000)),
    ),
  ];
  return async () => {
    stops.forEach((stop) => stop());
    await webhooks.close();
  };
}
