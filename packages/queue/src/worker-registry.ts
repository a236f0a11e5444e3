import { Redis } from 'ioredis';
import type { QueueSettings } from './connection.js';

/** What a worker process says about itself on each heartbeat (GET /metrics shows it). */
export interface WorkerStatus {
  workerId: string;
  /** ISO time of this report. */
  at: string;
  concurrency: number;
  /** The engine its training children load, and what it computes on. */
  engine?: string;
  device?: { kind: 'gpu' | 'cpu'; name: string };
  /** The class of jobs it takes (detected from the device, or WORKER_ACCELERATOR). */
  accelerator?: 'gpu' | 'cpu';
  runningJobIds: string[];
  /** Training throughput of its running jobs together, from their latest progress. */
  imagesPerSecond: number;
}

export function workersKey(prefix: string): string {
  return `${prefix}:workers`;
}

/**
 * Worker heartbeats in one Redis hash, `<prefix>:workers` (field: worker id, value: WorkerStatus as
 * JSON). Workers report every heartbeat and remove themselves when they stop; a worker that died
 * stops reporting, so readers judge liveness by the report's age, and `forget` drops old entries.
 */
export class WorkerRegistry {
  private redis: Redis | null = null;

  constructor(private readonly settings: QueueSettings) {}

  async report(status: WorkerStatus): Promise<void> {
    await this.connection().hset(workersKey(this.settings.prefix), status.workerId, JSON.stringify(status));
  }

  async remove(workerId: string): Promise<void> {
    await this.connection().hdel(workersKey(this.settings.prefix), workerId);
  }

  async list(): Promise<WorkerStatus[]> {
    const entries = await this.connection().hgetall(workersKey(this.settings.prefix));
    const statuses: WorkerStatus[] = [];
    for (const text of Object.values(entries)) {
      try {
        const status = JSON.parse(text) as WorkerStatus;
        if (typeof status.workerId === 'string' && typeof status.at === 'string') statuses.push(status);
      } catch {
        // not a report: ignore
      }
    }
    return statuses;
  }

  /** Removes reports older than `maxAgeMs` (workers that died without saying so). */
  async forget(maxAgeMs: number, now = Date.now()): Promise<number> {
    const stale = (await this.list()).filter((status) => now - Date.parse(status.at) > maxAgeMs).map((status) => status.workerId);
    if (stale.length === 0) return 0;
    return this.connection().hdel(workersKey(this.settings.prefix), ...stale);
  }

  async close(): Promise<void> {
    const redis = this.redis;
    this.redis = null;
    await redis?.quit().catch(() => redis.disconnect());
  }

  private connection(): Redis {
    if (!this.redis) {
      this.redis = new Redis(this.settings.redisUrl, { maxRetriesPerRequest: 3 });
      this.redis.on('error', () => {}); // reported through rejected calls; ioredis reconnects
    }
    return this.redis;
  }
}
