/**
 * Records "this job is in the queue" (enqueued_at) for submissions in batches: one UPDATE every few
 * milliseconds for all jobs enqueued meanwhile, instead of one per request. A mark lost to a crash
 * only means the outbox enqueues that job once more, which is a no-op in the queue.
 */
import type { Database } from '@trainyard/db';
import type { Logger } from 'pino';

const FLUSH_AFTER_MS = 10;

export class EnqueueMarks {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  add(jobId: string): void {
    this.pending.push(jobId);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }

  /** Writes every pending mark; also called on shutdown. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (ids.length === 0) return;
      try {
        await this.db.jobs.markEnqueuedMany(ids);
      } catch (error) {
        this.logger.warn({ err: error, jobs: ids.length }, 'could not record enqueued jobs; the outbox will enqueue them again');
      }
    });
    await this.flushing;
  }
}
