import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueMessage } from '@trainyard/contracts';
import { bullConnection, type QueueSettings } from './connection.js';
import { TRAINING_QUEUE_NAME } from './names.js';

export interface RetryOptions {
  /** Tries of a job that fails with a transient error, the first included. */
  attempts: number;
  /** First wait before a retry; doubles each time. */
  backoffMs: number;
}

export const DEFAULT_JOB_RETRY: RetryOptions = { attempts: 5, backoffMs: 5_000 };

export type QueueState = 'waiting' | 'delayed' | 'prioritized' | 'active' | 'completed' | 'failed' | 'missing';

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
}

/**
 * The producer side of the training queue (used by the API and the reaper). A queue entry carries only
 * the job's id, used as BullMQ's job id too: adding an id that is already there is a no-op, so a job
 * can never be queued twice.
 */
export class TrainingQueue {
  private readonly queue: Queue<QueueMessage>;

  constructor(
    settings: QueueSettings,
    private readonly retry: RetryOptions = DEFAULT_JOB_RETRY,
  ) {
    this.queue = new Queue<QueueMessage>(TRAINING_QUEUE_NAME, {
      // Commands issued in the same tick go out in one write (concurrent submissions' adds share it).
      connection: bullConnection(settings.redisUrl, { enableAutoPipelining: true }),
      prefix: settings.prefix,
    });
    // Errors surface through the rejected calls; without a listener EventEmitter would throw.
    this.queue.on('error', () => {});
  }

  /**
   * Queues a training job; returns false when it is already waiting, delayed or running. A finished
   * entry left from an earlier run is replaced: callers enqueue only jobs that Postgres says are
   * queued, and Postgres is the record (a job handed back or reaped must run again).
   */
  async enqueue(jobId: string): Promise<boolean> {
    const before = await this.queue.getJob(jobId);
    if (before) {
      const state = await before.getState();
      if (state !== 'completed' && state !== 'failed') return false;
      await before.remove();
    }
    await this.enqueueNew(jobId);
    return true;
  }

  /**
   * Queues a job that cannot have been queued before (its row was just inserted): one round trip to
   * Redis, without enqueue's look for an earlier entry. Submission's hot path. Adding an id that is
   * there after all is still a no-op.
   */
  async enqueueNew(jobId: string): Promise<void> {
    await this.queue.add('train', { jobId }, { jobId, ...this.jobOptions });
  }

  private get jobOptions() {
    return {
      attempts: this.retry.attempts,
      backoff: { type: 'exponential', delay: this.retry.backoffMs },
      // Finished entries are kept a while (so a late duplicate add stays a no-op), then dropped:
      // Postgres is the record of every job.
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
    };
  }

  /**
   * Removes a job that is waiting or delayed; returns false when it is not (already running,
   * finished or unknown). A running job is cancelled through JobChannels instead.
   */
  async removeQueued(jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    try {
      await job.remove();
    } catch {
      return false; // a worker took it between the two calls
    }
    return (await this.queue.getJob(jobId)) === undefined;
  }

  /**
   * Makes a job's entry the next one a worker takes (the scheduler chose it): `moved` when it was
   * waiting or delayed, `added` when it had no live entry (lost, or a finished one left from an
   * earlier run: callers ask only for jobs Postgres says are queued), `busy` when a worker holds it.
   */
  async moveToFront(jobId: string): Promise<'moved' | 'added' | 'busy'> {
    let job = await this.queue.getJob(jobId);
    let state = job ? await job.getState() : 'missing';
    if (state === 'active') return 'busy';
    let result: 'moved' | 'added' = 'moved';
    if (!job || state === 'completed' || state === 'failed' || state === 'unknown' || state === 'missing') {
      await this.enqueue(jobId);
      result = 'added';
      job = await this.queue.getJob(jobId);
      state = job ? await job.getState() : 'missing';
    }
    if (!job) return 'busy';
    if (state === 'delayed') await job.promote().catch(() => {}); // it may have become due meanwhile
    // Priority 0 with lifo: pushed to the end of the wait list that workers take from.
    await job.changePriority({ priority: 0, lifo: true });
    return result;
  }

  /** Ids of every job with a live entry (waiting, delayed or held by a worker). */
  async liveEntryIds(): Promise<Set<string>> {
    return new Set(await this.queue.getRanges(['waiting', 'prioritized', 'delayed', 'active'], 0, -1));
  }

  /** Counts entries given back to queued jobs that had lost theirs (GET /metrics shows the total). */
  async countRestored(count: number): Promise<void> {
    if (count > 0) await (await this.redis()).incrby(this.restoredKey, count);
  }

  /** Entries restored so far, by every worker of this queue. */
  async restoredCount(): Promise<number> {
    return Number((await (await this.redis()).get(this.restoredKey)) ?? 0);
  }

  private async redis(): Promise<Pick<Redis, 'incrby' | 'get'>> {
    return (await this.queue.getBackend().client) as unknown as Redis;
  }

  private get restoredKey(): string {
    return this.queue.toKey('restored');
  }

  async state(jobId: string): Promise<QueueState> {
    const job = await this.queue.getJob(jobId);
    if (!job) return 'missing';
    const state = await job.getState();
    if (state === 'unknown' || state === 'waiting-children') return 'missing';
    return state as QueueState;
  }

  async counts(): Promise<QueueCounts> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  /** Throws unless Redis answers within `timeoutMs` (readiness checks). */
  async check(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.queue.getJobCounts('active'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Deletes every key of this queue (tests and `trainyard` maintenance only). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
