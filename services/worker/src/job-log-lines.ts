/**
 * What a training child reports, as the lines of its job's log: the engine and device, each phase,
 * the child's own log messages and output, a progress summary at most every PROGRESS_LINE_MS and
 * one per epoch (the job runner writes how the job ended, with the full error of a failure). Batch reports come many times a second; the log
 * gets a summary only, so that its JOB_LOG_MAX_LINES hold a whole long run.
 */
import type { ChildMessage } from './child-protocol.js';
import { Throttle } from './job-progress.js';
import type { JobLog } from './job-log.js';

const PROGRESS_LINE_MS = 10_000;

const PHASE_LINES: Record<string, string> = {
  loading_data: 'loading the data',
  training: 'training',
  evaluating: 'evaluating on the test set',
  saving: 'saving the model',
};

export class ChildLogLines {
  private readonly progress = new Throttle(PROGRESS_LINE_MS);
  private phase: string | null = null;
  /**
   * Whether the child has its engine: what it prints before (Dawn's adapter notices while WebGPU is
   * tried, say) is about choosing one, for the worker's log only.
   */
  private engineReady = false;

  constructor(private readonly log: JobLog) {}

  /** Writes the line(s) a message of the child deserves, if any. */
  message(message: ChildMessage): void {
    switch (message.type) {
      case 'engine':
        this.engineReady = true;
        this.log.info(`engine ${message.engine} on ${message.device.kind} (${message.device.name})`);
        return;
      case 'phase':
        // The child announces loading_data itself, then the training run again.
        if (message.phase !== this.phase) this.log.info(PHASE_LINES[message.phase] ?? message.phase);
        this.phase = message.phase;
        return;
      case 'batch': {
        const { epoch, step, stepsPerEpoch, loss, accuracy, imagesPerSecond } = message.progress;
        // The first batch gets a line too (the Throttle lets the first call through): training has begun.
        if (!this.progress.ready()) return;
        this.log.info(
          `epoch ${epoch}/${message.epochs} step ${step}/${stepsPerEpoch}: loss ${fixed(loss)}, accuracy ${fixed(accuracy)}, ${Math.round(imagesPerSecond)} images/s`,
        );
        return;
      }
      case 'epoch': {
        const m = message.metrics;
        const validation =
          m.validationLoss === null ? '' : `, validation loss ${fixed(m.validationLoss)}, accuracy ${fixed(m.validationAccuracy)}`;
        this.log.info(
          `epoch ${m.epoch} done in ${m.seconds.toFixed(1)} s: train loss ${fixed(m.trainLoss)}, accuracy ${fixed(m.trainAccuracy)}${validation}, learning rate ${m.learningRate}`,
        );
        return;
      }
      case 'checkpoint':
        this.log.info(`checkpoint after epoch ${message.epoch}${message.step > 0 ? ` step ${message.step}` : ''} (${message.bytes} bytes)`);
        return;
      case 'log':
        if (message.level === 'debug' || message.workerOnly) return;
        this.log.write(message.level, withFields(message.message, message.fields));
        return;
      default:
        return;
    }
  }

  /** A line the child printed on stdout or stderr. */
  output(stream: 'stdout' | 'stderr', line: string): void {
    if (!this.engineReady) return;
    this.log.write(stream === 'stdout' ? 'info' : 'warn', line);
  }
}

function fixed(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : Number.isFinite(value) ? value.toFixed(4) : String(value);
}

/** "message key=value ...", objects as JSON. */
function withFields(message: string, fields: Record<string, unknown> | undefined): string {
  if (!fields) return message;
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length > 0 ? `${message} ${parts.join(' ')}` : message;
}
