import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { QueueMessage } from '@trainyard/contracts';
import { bullConnection, type QueueSettings } from './connection.js';
import { assertHandlersComplete, isJobType, type JobType } from './job-types.js';
import { TRAINING_QUEUE_NAME } from './names.js';

export interface ConsumerOptions extends QueueSettings {
  /** Jobs this process runs at once. */
  concurrency: number;
  /**
   * How long a job's lock lives without renewal. A worker that dies loses its jobs after about
   * lockDuration + 2 x stalledInterval; they then go back to the queue for another worker.
   */
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Times a job may be recovered from a dead worker before BullMQ fails it. */
  maxStalledCount: number;
  /** Shown in BullMQ's job records and in logs. */
  workerName?: string;
  logger?: ConsumerLogger;
}

export interface ConsumerLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface JobContext {
  jobId: string;
  type: JobType;
  /** Failed attempts before this one (a worker that vanished does not count). */
  failedAttempts: number;
  maxAttempts: number;
  /** True when a transient failure now will be retried later. */
  willRetryOnFailure: boolean;
}

/**
 * How a handler ended: `completed`; `handed_back` (it stopped early on purpose, e.g. the worker is
 * shutting down, and the job goes back to the queue for another worker, not counted as a failure); or
 * deferred (`{ deferMs }`: not now, a limit is reached; the job waits that long in the queue, not
 * counted as a failure either). A thrown error is a failure: retried with backoff while attempts
 * remain, unless it is a PermanentJobError.
 */
export type JobOutcome = 'completed' | 'handed_back' | { deferMs: number };
export type JobHandler = (context: JobContext) => Promise<JobOutcome>;

/** A failure that no retry can fix (bad dataset, model too large): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** The consumer side of the training queue: a BullMQ Worker with one handler per job type. */
export class TrainingConsumer {
  private readonly worker: Worker<QueueMessage>;

  constructor(options: ConsumerOptions, handlers: Record<JobType, JobHandler>) {
    assertHandlersComplete(handlers);
    const logger = options.logger;
    this.worker = new Worker<QueueMessage>(
      TRAINING_QUEUE_NAME,
      async (job: Job<QueueMessage>, token?: string) => {
        if (!isJobType(job.name)) throw new UnrecoverableError(`unknown job type ${job.name}`);
        const maxAttempts = job.opts.attempts ?? 1;
        const context: JobContext = {
          jobId: job.data.jobId,
          type: job.name,
          failedAttempts: job.attemptsMade,
          maxAttempts,
          willRetryOnFailure: job.attemptsMade + 1 < maxAttempts,
        };
        let outcome: JobOutcome;
        try {
          outcome = await handlers[job.name](context);
        } catch (error) {
          if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
          throw error;
        }
        if (outcome === 'handed_back') {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        if (typeof outcome === 'object') {
          await job.moveToDelayed(Date.now() + outcome.deferMs, token);
          throw new DelayedError();
        }
      },
      {
        connection: bullConnection(options.redisUrl),
        prefix: options.prefix,
        concurrency: options.concurrency,
        lockDuration: options.lockDurationMs,
        stalledInterval: options.stalledIntervalMs,
        maxStalledCount: options.maxStalledCount,
        name: options.workerName,
        autorun: true,
      },
    );
    this.worker.on('error', (error) => logger?.error({ err: error }, 'queue worker error'));
    this.worker.on('stalled', (jobId) => logger?.warn({ jobId }, 'job stalled: its worker stopped renewing the lock; requeued'));
    this.worker.on('failed', (job, error) =>
      logger?.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: error }, 'queue attempt failed'),
    );
  }

  /** Resolves once the worker is connected and waiting for jobs. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Stops taking jobs and waits for the running handlers to return. */
  async close(): Promise<void> {
    await this.worker.close();
  }
}
