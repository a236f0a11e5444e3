/**
 * Writes what a training child reports, in order. An epoch's checkpoint row is written after its
 * metrics row: a resume starts from the newest checkpoint row, so every epoch up to it has its
 * metrics, and nothing after it does (the job runner deletes those rows before a start; the epochs
 * run again).
 */
import type { JobProgress, ResolvedJobSpec } from '@trainyard/contracts';
import type { JobEvent } from '@trainyard/queue';
import type { Storage } from '@trainyard/storage';
import type { ChildMessage } from './child-protocol.js';
import { eventTime, progressFromBatch, Throttle } from './job-progress.js';
import type { Logger } from './logger.js';
import type { WorkerDatabase } from './retry-database.js';

type ProgressUpdate = Parameters<WorkerDatabase['jobs']['reportProgress']>[2];
type CheckpointRow = { epoch: number; step: number; storageKey: string; bytes: number };

export interface ProgressRecorderDependencies {
  db: Pick<WorkerDatabase, 'jobs' | 'metrics' | 'checkpoints' | 'sweeps'>;
  /** Answers the child's question at a rung (TrainingChildProcess.verdict). */
  verdict: (epoch: number, continues: boolean) => void;
  storage: Pick<Storage, 'delete'>;
  /** The job's own logger. */
  logger: Logger;
  /** Sends a job event to the API's subscribers; never throws. */
  publish: (event: JobEvent) => Promise<void>;
  /** A write found the job no longer this worker's (cancelled, reassigned). */
  onLost: () => void;
  /** The speed of the latest batch report (worker heartbeats in GET /metrics). */
  onImagesPerSecond: (imagesPerSecond: number) => void;
}

export interface ProgressRecorderSettings {
  workerId: string;
  /** Least time between two progress writes of batch reports. */
  progressMs: number;
  /** Checkpoints kept per job, besides the best epoch's. */
  checkpointsKept: number;
  /** The sweep the job is a trial of. */
  sweepId: string | null;
}

export class ProgressRecorder {
  private readonly throttle: Throttle;
  private readonly pendingCheckpoints = new Map<number, CheckpointRow>();
  private lastProgress: JobProgress | null = null;

  constructor(
    private readonly jobId: string,
    private readonly spec: ResolvedJobSpec,
    private readonly settings: ProgressRecorderSettings,
    private readonly deps: ProgressRecorderDependencies,
  ) {
    this.throttle = new Throttle(settings.progressMs);
  }

  async record(message: ChildMessage): Promise<void> {
    const { jobId } = this;
    const { logger, publish } = this.deps;
    switch (message.type) {
      case 'engine':
        logger.info({ engine: message.engine, device: message.device }, 'training on');
        await this.report({ engine: message.engine, device: message.device });
        return;
      case 'phase':
        await this.report({ phase: message.phase });
        await publish({ type: 'phase', jobId, at: eventTime(), phase: message.phase });
        return;
      case 'batch': {
        const progress = progressFromBatch(message.progress, message.epochs, this.spec.hyperparameters.batchSize);
        this.lastProgress = progress;
        this.deps.onImagesPerSecond(progress.imagesPerSecond ?? 0);
        if (!this.throttle.ready()) return;
        await this.report({ progress });
        const { loss, accuracy, learningRate } = message.progress;
        await publish({ type: 'progress', jobId, at: eventTime(), ...progress, loss, accuracy, learningRate });
        return;
      }
      case 'checkpoint': {
        const row = { epoch: message.epoch, step: message.step, storageKey: message.key, bytes: message.bytes };
        // A mid-epoch checkpoint (a shutdown) has no metrics row to wait for.
        if (message.step > 0) await this.recordCheckpoint(row);
        else this.pendingCheckpoints.set(message.epoch, row);
        return;
      }
      case 'epoch':
        await this.recordEpoch(message.metrics);
        return;
      case 'rung':
        await this.decideAtRung(message.epoch);
        return;
      default:
        return;
    }
  }

  /** The sweep's ASHA decision, made and recorded in Postgres (the same answer when asked again after a restart). */
  private async decideAtRung(rung: number): Promise<void> {
    const { sweepId, workerId } = this.settings;
    const decision = sweepId ? await this.deps.db.sweeps.decideAtRung({ sweepId, jobId: this.jobId, workerId, rung }) : { continues: true };
    if (!decision) {
      this.deps.onLost();
      return;
    }
    this.deps.logger.info({ sweepId, rung, continues: decision.continues }, 'sweep decision at a rung');
    this.deps.verdict(rung, decision.continues);
  }

  private async report(update: ProgressUpdate): Promise<void> {
    const ours = await this.deps.db.jobs.reportProgress(this.jobId, this.settings.workerId, update);
    if (!ours) this.deps.onLost();
  }

  private async recordEpoch(metrics: Extract<ChildMessage, { type: 'epoch' }>['metrics']): Promise<void> {
    const { jobId } = this;
    if (!(await this.deps.db.metrics.recordEpoch(jobId, this.settings.workerId, metrics))) {
      this.deps.onLost();
      return;
    }
    const checkpoint = this.pendingCheckpoints.get(metrics.epoch);
    if (checkpoint) {
      this.pendingCheckpoints.delete(metrics.epoch);
      await this.recordCheckpoint(checkpoint);
    }
    const epochs = this.spec.hyperparameters.epochs;
    const steps = this.lastProgress?.steps ?? 0;
    const progress: JobProgress = {
      epoch: metrics.epoch,
      epochs,
      step: steps,
      steps,
      imagesPerSecond: Math.round(metrics.imagesPerSecond * 10) / 10,
      etaSeconds: Math.round((epochs - metrics.epoch) * metrics.seconds),
    };
    await this.report({ progress });
    await this.deps.publish({
      type: 'epoch',
      jobId,
      at: eventTime(),
      epoch: metrics.epoch,
      trainLoss: metrics.trainLoss,
      trainAccuracy: metrics.trainAccuracy,
      validationLoss: metrics.validationLoss,
      validationAccuracy: metrics.validationAccuracy,
      learningRate: metrics.learningRate,
      seconds: metrics.seconds,
    });
  }

  private async recordCheckpoint(row: CheckpointRow): Promise<void> {
    const { db, storage, logger } = this.deps;
    const { workerId, checkpointsKept } = this.settings;
    if (!(await db.checkpoints.record(this.jobId, workerId, row))) {
      this.deps.onLost();
      return;
    }
    // restoreBestWeights reads the best epoch's checkpoint at the end, however old it is by then.
    const best = this.spec.hyperparameters.restoreBestWeights ? await db.metrics.lowestValidationLossEpoch(this.jobId) : null;
    const forgotten = (await db.checkpoints.prune(this.jobId, workerId, checkpointsKept, best)) ?? [];
    for (const old of forgotten) {
      await storage
        .delete(old.storageKey)
        .catch((error) => logger.warn({ err: error, key: old.storageKey }, 'could not delete an old checkpoint'));
    }
  }
}
