import type { Logger } from './logger.js';
import type { ChildMemoryLimit } from './memory-limit.js';
import { TrainingChildProcess } from './training-child-process.js';

/**
 * Keeps one training child forked ahead of time, TensorFlow.js and its engine already loaded (about
 * 1.5 s of start-up here), so that a job taken by an idle worker begins sooner. Each child still runs
 * exactly one job. The next spare is forked when a job ends, not when one starts, so that its
 * start-up never competes with a job's first epochs for the CPU.
 */
export class WarmChild {
  private spare: TrainingChildProcess | null = null;
  private closed = false;

  /** `nice`: the children's scheduling niceness (WORKER_TRAINING_NICE). */
  constructor(
    private readonly logger: Logger,
    private readonly nice: number,
    /** WORKER_MEMORY, each child's hard limit, and how it is enforced. */
    private readonly memoryLimit?: ChildMemoryLimit,
    /** Added to each child's environment (a GPU pin). */
    private readonly env: Record<string, string> = {},
  ) {}

  /** Forks a spare unless one is ready. */
  prepare(): void {
    if (!this.closed && !this.spare?.usable) this.spare = new TrainingChildProcess(this.logger, this.nice, this.memoryLimit, this.env);
  }

  take(): TrainingChildProcess {
    const child = this.spare?.usable ? this.spare : new TrainingChildProcess(this.logger, this.nice, this.memoryLimit, this.env);
    this.spare = null;
    return child;
  }

  /** Stops the spare (shutdown). */
  close(): void {
    this.closed = true;
    this.spare?.kill();
    this.spare = null;
  }
}
