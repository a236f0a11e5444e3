import type { BatchProgress } from '@trainyard/cnn/types';
import type { JobProgress } from '@trainyard/contracts';

/** Progress of a job from one batch report: where it is, and how long the remaining steps take at the current speed. */
export function progressFromBatch(batch: BatchProgress, epochs: number, batchSize: number): JobProgress {
  const remainingSteps = Math.max(0, (epochs - batch.epoch) * batch.stepsPerEpoch + (batch.stepsPerEpoch - batch.step));
  const etaSeconds = batch.imagesPerSecond > 0 ? Math.round((remainingSteps * batchSize) / batch.imagesPerSecond) : null;
  return {
    epoch: batch.epoch,
    epochs,
    step: batch.step,
    steps: batch.stepsPerEpoch,
    imagesPerSecond: Number.isFinite(batch.imagesPerSecond) ? Math.round(batch.imagesPerSecond * 10) / 10 : null,
    etaSeconds,
  };
}

/** Lets a call through at most once per `intervalMs` (the first one always). */
export class Throttle {
  private last = -Infinity;

  constructor(private readonly intervalMs: number) {}

  ready(now = Date.now()): boolean {
    if (now - this.last < this.intervalMs) return false;
    this.last = now;
    return true;
  }
}

/** The `at` of a job event. */
export function eventTime(): string {
  return new Date().toISOString();
}
