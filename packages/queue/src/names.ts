/**
 * Redis names of the queue and its channels. Everything starts with the deployment's prefix
 * (QUEUE_PREFIX): BullMQ keys are `<prefix>:training:*`, and pub/sub channels, which ignore Redis's
 * database number, are `<prefix>:cancel`, `<prefix>:events:<jobId>` and `<prefix>:job-log-lines:<jobId>`.
 */
export const TRAINING_QUEUE_NAME = 'training';

export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

export function jobEventsChannel(prefix: string, jobId: string): string {
  return `${prefix}:events:${jobId}`;
}

export function jobLogChannel(prefix: string, jobId: string): string {
  return `${prefix}:job-log-lines:${jobId}`;
}
