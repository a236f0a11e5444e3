/**
 * The ApiQueue over packages/queue: BullMQ for the queue itself, Redis pub/sub for cancels. Every call
 * is bounded in time: BullMQ waits for Redis indefinitely while it reconnects, and a request must not
 * hang on it (Postgres is the record; the outbox and the workers' heartbeat checks catch up later).
 */
import { JobChannels, TrainingQueue, type QueueSettings } from '@trainyard/queue';
import type { ApiQueue } from './ports.js';

export const QUEUE_CALL_TIMEOUT_MS = 3_000;

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms (Redis unreachable?)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function openApiQueue(settings: QueueSettings, timeoutMs = QUEUE_CALL_TIMEOUT_MS): ApiQueue {
  const queue = new TrainingQueue(settings);
  const channels = new JobChannels(settings);
  return {
    enqueue: (jobId) => withTimeout(queue.enqueue(jobId), timeoutMs, 'enqueue'),
    enqueueNew: (jobId) => withTimeout(queue.enqueueNew(jobId), timeoutMs, 'enqueue'),
    removeQueued: (jobId) => withTimeout(queue.removeQueued(jobId), timeoutMs, 'removing a queued job'),
    publishCancel: (jobId) => withTimeout(channels.publishCancel(jobId), timeoutMs, 'publishing a cancel'),
    deleteJobLog: (jobId) => withTimeout(channels.deleteLog(jobId), timeoutMs, 'deleting the job log'),
    check: () => withTimeout(queue.check(), timeoutMs, 'the Redis check'),
    async close() {
      await withTimeout(Promise.allSettled([queue.close(), channels.close()]), timeoutMs, 'closing the queue').catch(() => {});
    },
  };
}
