import type { ConnectionOptions } from 'bullmq';

export interface QueueSettings {
  /** redis://[user:password@]host:port[/db] or rediss:// */
  redisUrl: string;
  /** Prefix of every Redis key and channel; lets deployments (and tests) share one Redis. */
  prefix: string;
}

/** BullMQ's connection options for a URL; BullMQ adds what blocking connections need itself. */
export function bullConnection(redisUrl: string, extra: Record<string, unknown> = {}): ConnectionOptions {
  return { url: redisUrl, ...extra } as ConnectionOptions;
}
