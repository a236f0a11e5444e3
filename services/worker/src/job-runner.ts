/**
 * Runs training jobs handed over by the queue: claims each in Postgres, trains it in a child
 * process, records what the child reports, and ends it (succeeded, failed, cancelled, or handed back
 * to the queue). Postgres is the record: a transition is a conditional update that only the worker
 * holding the job can make, so two workers never run one job at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import type { Job } from '@trainyard/db';
import { datasetFiles, datasetReadOptions, modelFiles } from '@trainyard/db';
import { ashaRungs, FINISHED_STATUSES, type ResolvedJobSpec, type ResolvedSweepSpec } from '@trainyard/contracts';
import { DEFAULT_JOB_RETRY, PermanentJobError, type JobChannels, type JobContext, type JobEvent, type JobOutcome } from '@trainyard/queue';
import { removeScratchDirsOf, type Storage } from '@trainyard/storage';
import { isOutOfMemoryMessage, type ChildMessage, type DatasetSource, type FailureReport, type StartMessage } from './child-protocol.js';
import type { WorkerConfig } from './config.js';
import { eventTime } from './job-progress.js';
import type { JobLog, JobLogs } from './job-log.js';
import type { Logger } from './logger.js';
import type { JobScheduler, SchedulerClaim } from './job-scheduler.js';
import { ProgressRecorder } from './progress-recorder.js';
import type { WorkerDatabase } from './retry-database.js';
import type { ChildOutcome, TrainingChildProcess } from './training-child-process.js';
import { WarmChild } from './warm-child.js';
import type { GpuPin } from './worker-engine.js';

/**
 * A job whose tenant is at MAX_RUNNING_JOBS_PER_TENANT goes back to the queue for about this long
 * (0.5x to 1.5x, so that the waiting jobs of one tenant do not all come back at once).
 */
const LIMIT_RETRY_MS = 5_000;
/** An entry that stepped back for the job that goes first waits this long (that job is at the front). */
const STEP_BACK_MS = 250;
/** An entry no job of this worker's class could replace waits this long (0.5x to 1.5x). */
const OTHER_CLASS_RETRY_MS = 30_000;

/** Why the worker asked a child to stop; a cancel outranks a timeout, which outranks a shutdown. */
type StopReason = 'cancel' | 'timeout' | 'shutdown' | 'lost';
const STOP_PRECEDENCE: StopReason[] = ['lost', 'cancel', 'timeout', 'shutdown'];

interface RunningJob {
  jobId: string;
  /** Settles when this worker is done with the job. */
  finished: Promise<unknown>;
  child: TrainingChildProcess | null;
  stopReason: StopReason | null;
  killTimer: NodeJS.Timeout | null;
  logger: Logger;
  /** The job's own log (GET /v1/jobs/{id}/logs), from the moment this worker claimed it. */
  log: JobLog | null;
  /** From the latest batch report (worker heartbeats in GET /metrics). */
  imagesPerSecond: number;
}

export type JobRunnerConfig = Pick<
  WorkerConfig,
  | 'workerId'
  | 'storageUrl'
  | 'storageRetryAttempts'
  | 'lockDurationMs'
  | 'heartbeatMs'
  | 'progressMs'
  | 'maxStarts'
  | 'defaultMaxRuntimeSeconds'
  | 'trainingNice'
  | 'workerMemoryBytes'
  | 'memoryEnforcement'
  | 'maxImagePixels'
  | 'maxArchivePixels'
  | 'shutdownGraceMs'
  | 'cancelGraceMs'
  | 'checkpointsKept'
  | 'fashionMnistDir'
  | 'tempDir'
  | 'testBatchDelayMs'
>;

/**
 * Where a job's child comes from: the one shared spare, or with WORKER_GPUS one slot per GPU, each
 * with a spare pinned to its GPU and taken by one job at a time (the concurrency is the number of GPUs).
 */
interface ChildSlot {
  gpu: number | null;
  children: WarmChild;
  busy: boolean;
}

export class JobRunner {
  private readonly running = new Map<string, RunningJob>();
  private shuttingDown = false;
  private readonly slots: ChildSlot[];

  constructor(
    private readonly config: JobRunnerConfig,
    private readonly db: WorkerDatabase,
    private readonly storage: Storage,
    private readonly channels: JobChannels,
    private readonly logger: Logger,
    private readonly scheduler: Pick<JobScheduler, 'claim'>,
    pins: ReadonlyArray<Pick<GpuPin, 'gpu' | 'env'>> = [],
    private readonly jobLogs?: JobLogs,
  ) {
    const warm = (env?: Record<string, string>) =>
      new WarmChild(logger, config.trainingNice, { bytes: config.workerMemoryBytes, enforcement: config.memoryEnforcement }, env);
    this.slots =
      pins.length > 0
        ? pins.map((pin) => ({ gpu: pin.gpu, children: warm(pin.env), busy: false }))
        : [{ gpu: null, children: warm(), busy: false }];
    this.prepareChildren();
  }

  private prepareChildren(): void {
    for (const slot of this.slots) if (!slot.busy) slot.children.prepare();
  }

  get runningJobIds(): string[] {
    return [...this.running.keys()];
  }

  /** Training images per second of the running jobs together. */
  get imagesPerSecond(): number {
    let total = 0;
    for (const entry of this.running.values()) total += entry.imagesPerSecond;
    return total;
  }

  /** The queue's handler for a `train` job. */
  async run(context: JobContext): Promise<JobOutcome> {
    const { jobId } = context;
    const logger = this.logger.child({ jobId });
    const existing = this.running.get(jobId);
    if (existing) {
      // The queue lost this worker's lock (Redis restarted, say) and handed the job out again, to us:
      // one run at a time, so this delivery waits for the first and leaves the outcome to it.
      logger.warn('the queue delivered a job this worker is already running; waiting for that run instead');
      await existing.finished.catch(() => {});
      return 'completed';
    }
    const entry: RunningJob = {
      jobId,
      finished: Promise.resolve(),
      child: null,
      stopReason: null,
      killTimer: null,
      logger,
      log: null,
      imagesPerSecond: 0,
    };
    this.running.set(jobId, entry);
    try {
      const outcome = this.runClaimed(context, entry);
      entry.finished = outcome;
      return await outcome;
    } finally {
      if (entry.killTimer) clearTimeout(entry.killTimer);
      if (entry.log) await this.closeLog(entry.log);
      this.running.delete(jobId);
      if (!this.shuttingDown) this.prepareChildren();
    }
  }

  /** A cancel request from any API instance; ignored unless this worker runs the job. */
  cancel(jobId: string): void {
    const entry = this.running.get(jobId);
    if (entry) this.requestStop(entry, 'cancel');
  }

  /** SIGTERM: every running job checkpoints at its next batch boundary and goes back to the queue. */
  beginShutdown(): void {
    this.shuttingDown = true;
    for (const slot of this.slots) slot.children.close();
    for (const entry of this.running.values()) this.requestStop(entry, 'shutdown');
  }

  /**
   * Called every heartbeatMs: proves this worker is alive, and catches what pub/sub may have missed
   * (a cancel sent while Redis was away) or what happened behind its back (the job was taken away).
   */
  async heartbeat(): Promise<void> {
    const entries = [...this.running.values()].filter((entry) => entry.child !== null);
    if (entries.length === 0) return;
    for (const entry of entries) {
      const stillOurs = await this.db.jobs.heartbeat(entry.jobId, this.config.workerId);
      if (!stillOurs) this.requestStop(entry, 'lost');
    }
    const cancelled = await this.db.jobs.findCancelRequested(entries.map((entry) => entry.jobId));
    for (const { id } of cancelled) this.cancel(id);
  }

  // ------------------------------------------------------------------------------------------------

  private async runClaimed(context: JobContext, entry: RunningJob): Promise<JobOutcome> {
    const { jobId, logger } = entry;
    const claim = await this.claim(jobId, logger);
    if (!claim) return 'completed';
    if (claim.kind === 'limited') {
      logger.info(
        { code: 'running_jobs_limit', running: claim.running, limit: claim.limit, variable: 'MAX_RUNNING_JOBS_PER_TENANT' },
        'the tenant has as many running jobs as its limit allows; the job waits in the queue',
      );
      return { deferMs: Math.round(LIMIT_RETRY_MS * (0.5 + Math.random())) };
    }
    if (claim.kind === 'step_back') {
      logger.info({ reason: claim.reason, next: claim.next }, 'another job goes first; the job waits in the queue');
      if (claim.reason === 'other_class' && claim.next === null)
        return { deferMs: Math.round(OTHER_CLASS_RETRY_MS * (0.5 + Math.random())) };
      return { deferMs: STEP_BACK_MS };
    }
    const { job } = claim;
    logger.info({ attempt: job.attempts, workerId: this.config.workerId }, 'job claimed');
    entry.log = this.jobLogs?.open(jobId) ?? null;
    entry.log?.info(`attempt ${job.attempts} started on worker ${this.config.workerId}`);
    await this.publish({ type: 'status', jobId, at: eventTime(), status: 'running' });

    if (job.attempts > this.config.maxStarts) {
      return this.failJob(
        entry,
        {
          code: 'worker_lost',
          message: `The job was started ${job.attempts} times (limit ${this.config.maxStarts}); its workers kept disappearing.`,
          transient: false,
        },
        context,
      );
    }
    if (job.cancelRequestedAt) return this.endCancelled(entry);

    const spec = job.spec as unknown as ResolvedJobSpec;
    let start: StartMessage;
    try {
      start = await this.prepareStart(job, spec);
    } catch (error) {
      if (error instanceof PreparationError) return this.failJob(entry, error.failure, context);
      throw error;
    }
    if (this.shuttingDown) return this.handBack(entry);

    const outcome = await this.train(entry, start, spec, job);
    return this.conclude(entry, outcome, context);
  }

  /**
   * queued -> running for this worker if the scheduler says the job goes next (else `limited` or
   * `step_back`: the job stays queued). A job still marked running belongs to a worker that vanished
   * (the queue gave it to us only after that worker's lock expired); once its heartbeat is stale it
   * is taken back and claimed. Returns null when there is nothing to run (finished, deleted).
   */
  private async claim(jobId: string, logger: Logger): Promise<Exclude<SchedulerClaim, { kind: 'not_queued' }> | null> {
    const { workerId, lockDurationMs, heartbeatMs } = this.config;
    const deadline = Date.now() + 2 * lockDurationMs + 2 * heartbeatMs;
    for (;;) {
      const claimed = await this.scheduler.claim(jobId, workerId);
      if (claimed.kind !== 'not_queued') return claimed;
      const job = await this.db.jobs.get(jobId);
      if (!job) {
        logger.warn('job not found in the database; dropping its queue entry');
        return null;
      }
      if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') {
        logger.info({ status: job.status }, 'job already finished; dropping its queue entry');
        return null;
      }
      if (job.status === 'running') {
        const taken =
          job.workerId === workerId
            ? await this.db.jobs.requeue(jobId, { workerId })
            : await this.db.jobs.requeue(jobId, { staleBefore: new Date(Date.now() - lockDurationMs) });
        if (taken) {
          logger.warn({ previousWorker: job.workerId, heartbeatAt: job.heartbeatAt }, 'taking over a job whose worker vanished');
          continue;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`job ${jobId} is still running on live worker ${job.workerId}; the queue will try again`);
      }
      await sleep(heartbeatMs);
    }
  }

  private async prepareStart(job: Job, spec: ResolvedJobSpec): Promise<StartMessage> {
    const dataset = await this.datasetSource(job, spec);
    const initialModelKeys = job.fineTuneFromId ? await this.fineTuneSource(job.fineTuneFromId) : null;
    const pretrainedWeightsKey = await this.pretrainedWeightsKey(job, spec);
    const latest = await this.db.checkpoints.latest(job.id);
    // Rows after the checkpoint we resume from describe epochs that will run again.
    const deleted = await this.db.metrics.deleteAfter(job.id, this.config.workerId, latest?.epoch ?? 0);
    if (deleted === null) throw new Error(`job ${job.id} was taken from this worker before it started`);
    const sweep = job.sweepId ? await this.db.sweeps.get(job.sweepId) : null;
    return {
      type: 'start',
      jobId: job.id,
      spec,
      dataset,
      storageUrl: this.config.storageUrl,
      storageRetryAttempts: this.config.storageRetryAttempts,
      resumeKey: latest?.storageKey ?? null,
      initialModelKeys,
      pretrainedWeightsKey,
      tempDir: this.config.tempDir ?? tmpdir(),
      batchDelayMs: this.config.testBatchDelayMs,
      rungs: sweep ? ashaRungs((sweep.spec as unknown as ResolvedSweepSpec).searcher) : [],
    };
  }

  private async datasetSource(job: Job, spec: ResolvedJobSpec): Promise<DatasetSource> {
    const { imageSize, channels, testFraction } = spec.dataset;
    const jobRead = { ...(imageSize ? { imageSize } : {}), ...(channels ? { channels } : {}), ...(testFraction ? { testFraction } : {}) };
    if ('builtin' in spec.dataset) {
      return { kind: 'builtin', name: spec.dataset.builtin, fashionMnistDir: this.config.fashionMnistDir, read: jobRead };
    }
    const dataset = job.datasetId ? await this.db.datasets.get(job.datasetId!) : null;
    if (!dataset) {
      throw new PreparationError({ code: 'not_found', message: 'The dataset of this job was deleted.', transient: false });
    }
    if (dataset.status !== 'ready') {
      throw new PreparationError({ code: 'dataset_not_ready', message: 'The dataset of this job is not ready.', transient: false });
    }
    return {
      kind: 'uploaded',
      read: { ...datasetReadOptions(dataset), ...jobRead },
      pixelLimits: { maxImagePixels: this.config.maxImagePixels, maxArchivePixels: this.config.maxArchivePixels },
      datasetId: dataset.id,
      name: dataset.name,
      format: dataset.format,
      files: datasetFiles(dataset).map(({ part, name, key }) => ({ part, name, key })),
    };
  }

  private async pretrainedWeightsKey(job: Job, spec: ResolvedJobSpec): Promise<string | null> {
    if (!spec.model.pretrained || !('weightsId' in spec.model.pretrained)) return null;
    const weights = job.weightsId ? await this.db.weights.get(job.weightsId!) : null;
    if (!weights || weights.status !== 'ready') {
      throw new PreparationError({ code: 'not_found', message: 'The pretrained weights of this job were deleted.', transient: false });
    }
    return weights.storageKey;
  }

  private async fineTuneSource(sourceJobId: string): Promise<Array<{ path: string; key: string }>> {
    const model = await this.db.models.get(sourceJobId);
    if (!model) {
      throw new PreparationError({
        code: 'fine_tune_source_invalid',
        message: 'The job named by fineTuneFrom has no stored model.',
        transient: false,
      });
    }
    return modelFiles(model)
      .filter((file) => !file.path.endsWith('.tar.gz'))
      .map((file) => ({ path: file.path, key: `${model.storagePrefix}${file.path}` }));
  }

  private async train(entry: RunningJob, start: StartMessage, spec: ResolvedJobSpec, job: Job): Promise<ChildOutcome> {
    const { jobId, logger } = entry;
    const { workerId, progressMs, checkpointsKept } = this.config;
    const recorder = new ProgressRecorder(
      jobId,
      spec,
      { workerId, progressMs, checkpointsKept, sweepId: job.sweepId },
      {
        db: this.db,
        verdict: (epoch, continues) => entry.child?.verdict(epoch, continues),
        storage: this.storage,
        logger,
        publish: (event) => this.publish(event),
        onLost: () => this.requestStop(entry, 'lost'),
        onImagesPerSecond: (imagesPerSecond) => (entry.imagesPerSecond = imagesPerSecond),
      },
    );
    // Without GPUs the one slot is shared; with them the queue's concurrency (one job per GPU) leaves a free one.
    const slot = this.slots.find((candidate) => candidate.gpu === null || !candidate.busy);
    if (!slot) throw new Error('every GPU of WORKER_GPUS is busy; the queue handed this worker more jobs than it has GPUs');
    if (slot.gpu !== null) slot.busy = true;
    const child = slot.children.take();
    child.start(start, (message) => recorder.record(message), logger, entry.log ?? undefined);
    entry.child = child;
    logger.info({ pid: child.pid, resumeFrom: start.resumeKey, gpu: slot.gpu }, 'training child started');

    // The limit counts from the job's first start, across attempts; DEFAULT_MAX_RUNTIME_SECONDS when
    // the job gives none, so that no job holds a worker for ever.
    const maxRuntimeSeconds = spec.maxRuntimeSeconds ?? this.config.defaultMaxRuntimeSeconds;
    const elapsedMs = Date.now() - (job.startedAt ?? new Date()).getTime();
    const remainingMs = Math.max(0, maxRuntimeSeconds * 1000 - elapsedMs);
    // setTimeout waits at most 2^31-1 ms (24.8 days).
    const runtimeTimer = setTimeout(() => this.requestStop(entry, 'timeout'), Math.min(remainingMs, 2 ** 31 - 1));
    // A stop requested before the child existed (shutdown, cancel) applies now.
    if (entry.stopReason) this.sendStop(entry);
    try {
      return await child.done;
    } finally {
      slot.busy = false;
      clearTimeout(runtimeTimer);
      // A child that was killed (out of memory, a stop past its grace) could not remove its downloads.
      if (child.pid !== undefined) {
        const left = await removeScratchDirsOf(start.tempDir, child.pid).catch(() => []);
        if (left.length > 0) logger.info({ removed: left }, "removed the training child's temporary folders");
      }
    }
  }

  private requestStop(entry: RunningJob, reason: StopReason): void {
    if (entry.stopReason && STOP_PRECEDENCE.indexOf(entry.stopReason) <= STOP_PRECEDENCE.indexOf(reason)) return;
    entry.logger.info({ reason }, 'stopping the job');
    entry.stopReason = reason;
    this.sendStop(entry);
  }

  private sendStop(entry: RunningJob): void {
    const child = entry.child;
    if (!child) return;
    const reason = entry.stopReason!;
    if (reason === 'shutdown' || reason === 'timeout') child.stop();
    else child.cancel();
    const graceMs = reason === 'shutdown' || reason === 'timeout' ? this.config.shutdownGraceMs : this.config.cancelGraceMs;
    if (entry.killTimer) clearTimeout(entry.killTimer);
    entry.killTimer = setTimeout(() => {
      entry.logger.warn({ reason, graceMs }, 'training child did not stop in time; killing it');
      child.kill();
    }, graceMs);
  }

  private async conclude(entry: RunningJob, outcome: ChildOutcome, context: JobContext): Promise<JobOutcome> {
    const { logger } = entry;
    if (outcome.kind === 'succeeded') return this.endSucceeded(entry, outcome.result);

    const reason = entry.stopReason;
    if (outcome.kind === 'stopped' || (outcome.kind === 'crashed' && reason !== null)) {
      switch (reason) {
        case 'cancel':
          return this.endCancelled(entry);
        case 'timeout':
          return this.failJob(
            entry,
            { code: 'timeout', message: `The job ran longer than its maxRuntimeSeconds; its last checkpoint is kept.`, transient: false },
            context,
          );
        case 'lost': {
          // Put back in line by the reaper: its entry goes back to the queue too, not to `completed`.
          const now = await this.db.jobs.get(entry.jobId);
          logger.warn({ status: now?.status }, 'the job was taken from this worker (cancelled or reassigned); leaving it alone');
          return now?.status === 'queued' ? 'handed_back' : 'completed';
        }
        case 'shutdown':
        case null:
          return this.handBack(entry);
      }
    }
    if (outcome.kind === 'failed') return this.failJob(entry, outcome.failure, context);

    // Crashed on its own: a bug, a native abort, or the kernel's OOM killer.
    const outOfMemory = outcome.outOfMemory || isOutOfMemoryMessage(outcome.lastError ?? '');
    logger.error({ exitCode: outcome.exitCode, signal: outcome.signal, lastError: outcome.lastError }, 'training child crashed');
    const failure: FailureReport = outOfMemory
      ? {
          code: 'out_of_memory',
          message: outcome.outOfMemory
            ? `The training process went past the worker's memory limit of ${Math.round(this.config.workerMemoryBytes / 1024 ** 2)} MB (WORKER_MEMORY) and was stopped; choose a smaller batch size, model or input.`
            : `The training process ran out of memory: ${outcome.lastError}`,
          transient: false,
        }
      : {
          code: 'internal',
          message: `The training process ended unexpectedly (${outcome.signal ?? `exit code ${outcome.exitCode}`}).`,
          transient: true,
        };
    return this.failJob(entry, failure, context);
  }

  private async endSucceeded(entry: RunningJob, result: Extract<ChildMessage, { type: 'succeeded' }>): Promise<JobOutcome> {
    const { jobId, logger } = entry;
    const { workerId } = this.config;
    await this.db.models.save(jobId, {
      storagePrefix: result.modelPrefix,
      // The .tar.gz of the same files is at jobKeys(jobId).modelBundle.
      files: result.files.map(({ path, bytes }) => ({ path, bytes })),
      manifest: result.manifest,
    });
    const done = await this.db.jobs.succeed(jobId, workerId, {
      engine: result.engine,
      evaluation: result.evaluation,
      stopReason: result.stopReason,
    });
    if (!done) {
      logger.warn('training finished but the job was no longer ours to complete');
      return 'completed';
    }
    logger.info({ top1: result.evaluation.top1, engine: result.engine, stopReason: result.stopReason }, 'job succeeded');
    entry.log?.info(
      `job succeeded: test accuracy ${result.evaluation.top1}, engine ${result.engine}${result.stopReason ? `, stopped: ${result.stopReason}` : ''}`,
    );
    await entry.log?.flush(); // in the log before anyone hears the job ended
    await this.publish({ type: 'status', jobId, at: eventTime(), status: 'succeeded' });
    return 'completed';
  }

  private async endCancelled(entry: RunningJob): Promise<JobOutcome> {
    const { jobId, logger } = entry;
    const done = await this.db.jobs.markCancelled(jobId, this.config.workerId);
    logger.info({ recorded: done }, 'job cancelled');
    entry.log?.info('job cancelled');
    await entry.log?.flush(); // in the log before anyone hears the job ended
    if (done) await this.publish({ type: 'status', jobId, at: eventTime(), status: 'cancelled' });
    return 'completed';
  }

  /** Back to the queue without counting a failure: another worker (or this one, restarted) resumes it. */
  private async handBack(entry: RunningJob): Promise<JobOutcome> {
    const { jobId, logger } = entry;
    const requeued = await this.db.jobs.requeue(jobId, { workerId: this.config.workerId });
    if (requeued) await this.db.jobs.markEnqueued(jobId);
    logger.info({ requeued }, 'job handed back to the queue');
    entry.log?.info('the job went back to the queue (its worker is stopping or lost it); it resumes from its last checkpoint');
    if (requeued) await this.publish({ type: 'status', jobId, at: eventTime(), status: 'queued' });
    return 'handed_back';
  }

  /**
   * A transient failure with attempts left goes back to the queue, which retries it after a backoff
   * (resuming from the last checkpoint); anything else fails the job with its code, at once. Either
   * way it throws: the queue learns of the failure from the rejection.
   */
  private async failJob(entry: RunningJob, failure: FailureReport, context: JobContext): Promise<never> {
    const { jobId, logger } = entry;
    const { workerId } = this.config;
    if (failure.transient && context.willRetryOnFailure) {
      logger.warn({ code: failure.code, error: failure.message, failedAttempts: context.failedAttempts }, 'job failed; it will be retried');
      entry.log?.warn(`attempt failed, the job will be retried: ${failure.code}: ${failure.message}`);
      // The queue retries after an exponential backoff; the scheduler does not choose the job before then either.
      const retryAfter = new Date(Date.now() + DEFAULT_JOB_RETRY.backoffMs * 2 ** context.failedAttempts);
      const requeued = await this.db.jobs.requeue(jobId, { workerId }, retryAfter);
      if (requeued) {
        await this.db.jobs.markEnqueued(jobId);
        await this.publish({ type: 'status', jobId, at: eventTime(), status: 'queued' });
      }
      throw new Error(`${failure.code}: ${failure.message}`);
    }
    logger.error({ code: failure.code, error: failure.message }, 'job failed');
    entry.log?.error(`job failed: ${failure.code}: ${failure.message}`);
    await entry.log?.flush(); // in the log before anyone hears the job ended
    const done = await this.db.jobs.fail(jobId, workerId, { code: failure.code, message: failure.message });
    if (done) {
      await this.publish({
        type: 'status',
        jobId,
        at: eventTime(),
        status: 'failed',
        error: { code: failure.code, message: failure.message },
      });
    }
    throw new PermanentJobError(`${failure.code}: ${failure.message}`);
  }

  /** A job that ended keeps its log in object storage; one that goes back to the queue keeps it live. */
  private async closeLog(log: JobLog): Promise<void> {
    const job = await this.db.jobs.get(log.jobId).catch(() => null);
    await log.close(job !== null && FINISHED_STATUSES.includes(job.status));
  }

  /** Job events are news for the API's subscribers: one lost in a Redis outage is not worth failing a job. */
  private async publish(event: JobEvent): Promise<void> {
    try {
      await this.channels.publishEvent(event);
    } catch (error) {
      this.logger.debug({ err: error, jobId: event.jobId }, 'could not publish a job event');
    }
  }
}

class PreparationError extends Error {
  constructor(readonly failure: FailureReport) {
    super(failure.message);
  }
}
