/** The ApiQueue over packages/queue: BullMQ for the queue itself, Redis pub/sub for cancels. */
import { JobChannels, TrainingQueue, type QueueSettings } from '@trainyard/queue';
import type { ApiQueue } from './ports.js';

export function openApiQueue(settings: QueueSettings): ApiQueue {
  const queue = new TrainingQueue(settings);
  const channels = new JobChannels(settings);
  return {
    enqueue: (jobId) => queue.enqueue(jobId),
    removeQueued: (jobId) => queue.removeQueued(jobId),
    publishCancel: (jobId) => channels.publishCancel(jobId),
    check: () => queue.check(),
    async close() {
      await Promise.allSettled([queue.close(), channels.close()]);
    },
  };
}
