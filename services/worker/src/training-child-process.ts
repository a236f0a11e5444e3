/**
 * The parent's handle on one training child process: starts it, feeds its messages one at a time to
 * the job runner (so that database writes happen in the order the child reported them), forwards its
 * stdout/stderr to the worker's log and, with what it reports, to the job's (job-log-lines.ts), and
 * tells how it ended.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, FailureReport, ParentMessage, StartMessage } from './child-protocol.js';
import { ChildLogLines } from './job-log-lines.js';
import type { JobLog } from './job-log.js';
import type { Logger } from './logger.js';
import { limitMemory, memoryLimitExecArgv, type ChildMemoryLimit, type MemoryLimit } from './memory-limit.js';

export type SucceededMessage = Extract<ChildMessage, { type: 'succeeded' }>;

export type ChildOutcome =
  | { kind: 'succeeded'; result: SucceededMessage }
  | { kind: 'stopped' }
  | { kind: 'failed'; failure: FailureReport }
  /** Exited without saying how it ended: crashed, killed (by us, the OOM killer, ...). */
  | {
      kind: 'crashed';
      exitCode: number | null;
      signal: NodeJS.Signals | null;
      lastError: string | null;
      /** Killed for going past its memory limit (WORKER_MEMORY), by the kernel or the watchdog. */
      outOfMemory: boolean;
    };

const CHILD_MAIN = fileURLToPath(new URL('./training-child.js', import.meta.url));

export class TrainingChildProcess {
  readonly done: Promise<ChildOutcome>;
  private readonly child: ChildProcess;
  private chain: Promise<void> = Promise.resolve();
  private reported: ChildOutcome | null = null;
  private lastErrorLine: string | null = null;
  private onMessage: ((message: ChildMessage) => Promise<void>) | null = null;
  private started = false;
  private readonly memory: MemoryLimit | null = null;
  /** The job's log lines, once it has a job. */
  private jobLines: ChildLogLines | null = null;

  /**
   * Forks the child, which loads TensorFlow.js and its engine right away and then waits for `start`;
   * until then its output goes to `logger` (the worker's), afterwards to the job's.
   */
  constructor(
    private logger: Logger,
    nice = 0,
    /** WORKER_MEMORY: the child is killed past it (memory-limit.ts); undefined for no limit. */
    memoryLimit?: ChildMemoryLimit,
    /** Added to the worker's environment: the GPU pin of WORKER_GPUS. */
    env: Record<string, string> = {},
  ) {
    // Not detached, with an IPC channel: the child exits when that channel closes (parent gone).
    this.child = fork(CHILD_MAIN, [], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      execArgv: [...process.execArgv, ...(memoryLimit ? memoryLimitExecArgv(memoryLimit.bytes) : [])],
    });
    if (memoryLimit && this.child.pid !== undefined) {
      this.memory = limitMemory(this.child.pid, memoryLimit, logger, () => {
        this.logger.warn({ limitBytes: memoryLimit.bytes }, 'the training child went past its memory limit (WORKER_MEMORY); killing it');
        this.kill();
      });
    }
    if (nice > 0 && this.child.pid !== undefined) {
      // Set at once, before the child starts its compute threads (Linux niceness is per thread and
      // inherited by the threads it creates afterwards).
      try {
        setPriority(this.child.pid, nice);
      } catch (error) {
        logger.warn({ err: error, nice }, 'could not lower the training process priority');
      }
    }
    this.forwardOutput();
    this.child.on('message', (message: ChildMessage) => this.receive(message));
    this.done = new Promise((resolve) => {
      this.child.on('exit', (exitCode, signal) => {
        const outOfMemory = this.memory?.exceeded() ?? false;
        this.memory?.release();
        // Every message that arrived before the exit is handled before the outcome is known.
        void this.chain.then(() =>
          resolve(this.reported ?? { kind: 'crashed', exitCode, signal, lastError: this.lastErrorLine, outOfMemory }),
        );
      });
    });
  }

  /** Whether it can still take a job (not started, not exited). */
  get usable(): boolean {
    return !this.started && this.child.connected && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Hands it its one job. `onMessage` is awaited for each progress message before the next one is
   * handled; an error it throws ends the child and becomes the outcome (the job cannot be recorded,
   * so it must not go on).
   */
  start(start: StartMessage, onMessage: (message: ChildMessage) => Promise<void>, logger: Logger, jobLog?: JobLog): void {
    if (this.started) throw new Error('a training child runs one job only');
    this.started = true;
    this.onMessage = onMessage;
    this.logger = logger;
    if (jobLog) this.jobLines = new ChildLogLines(jobLog);
    this.send(start);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Checkpoint at the next batch boundary, then stop. */
  stop(): void {
    this.send({ type: 'stop' });
  }

  /** Stop at the next batch boundary without a checkpoint. */
  cancel(): void {
    this.send({ type: 'cancel' });
  }

  /** The answer to the child's `rung` question. */
  verdict(epoch: number, continues: boolean): void {
    this.send({ type: 'verdict', epoch, continues });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private send(message: ParentMessage): void {
    if (!this.child.connected) return;
    this.child.send(message, (error) => {
      if (error) this.logger.warn({ err: error, type: message.type }, 'could not send to training child');
    });
  }

  private receive(message: ChildMessage): void {
    this.jobLines?.message(message);
    if (message.type === 'log') {
      this.logger[message.level]({ ...message.fields, from: 'child' }, message.message);
      return;
    }
    this.chain = this.chain.then(async () => {
      if (this.reported && this.reported.kind === 'failed') return; // already ending
      switch (message.type) {
        case 'succeeded':
          this.reported = { kind: 'succeeded', result: message };
          return;
        case 'stopped':
          this.reported = { kind: 'stopped' };
          return;
        case 'failed':
          this.reported = { kind: 'failed', failure: message.failure };
          return;
        default:
          try {
            await this.onMessage?.(message);
          } catch (error) {
            this.logger.error({ err: error, message: message.type }, 'could not record what the training child reported');
            this.reported = {
              kind: 'failed',
              failure: {
                code: 'database_unavailable',
                message: `recording ${message.type} failed: ${(error as Error).message}`,
                transient: true,
              },
            };
            this.kill();
          }
      }
    });
  }

  private forwardOutput(): void {
    for (const [stream, level] of [
      [this.child.stdout!, 'info'],
      [this.child.stderr!, 'warn'],
    ] as const) {
      createInterface({ input: stream }).on('line', (line) => {
        if (line.trim() === '') return;
        if (level === 'warn') this.lastErrorLine = line.slice(0, 500);
        const stream = level === 'info' ? 'stdout' : 'stderr';
        this.logger[level]({ from: 'child', stream }, line);
        this.jobLines?.output(stream, line);
      });
    }
  }
}
