/**
 * A bounded pool of inference processes (predictor-child.ts), children of this API process. They are
 * started on the first prediction, one more each time every running one is busy, up to
 * PREDICT_PROCESSES; each answers one request at a time. A request goes, in round-robin order by
 * tenant (FairQueue), to an idle process that already holds its model if there is one, else to any
 * idle process. A process that dies fails its request with predictor_unavailable (503) and is replaced
 * by the next request that needs one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { ApiError, type PredictionView } from '@trainyard/contracts';
import { FairQueue } from './fair-queue.js';
import type { ChildOptions, FromChild, ModelRef, PredictInputs } from './protocol.js';

const CHILD = fileURLToPath(new URL('./predictor-child.js', import.meta.url));
/** Longest a process may take for one request (loading its model included) before it is killed. */
const REQUEST_TIMEOUT_MS = 300_000;

export interface PredictRequest {
  tenantId: string;
  model: ModelRef;
  inputs: PredictInputs;
  top: number;
  /** Aborted (the client went away): a request still waiting is dropped. */
  signal?: AbortSignal;
}

export interface PredictResult {
  predictions: PredictionView[];
  cache: 'hit' | 'miss';
  engine: string;
}

interface Waiting {
  request: PredictRequest;
  resolve(result: PredictResult): void;
  reject(error: unknown): void;
}

interface InferenceProcess {
  child: ChildProcess;
  ready: Promise<string>;
  busy: boolean;
  /** Models loaded in it, as it last reported. */
  loaded: Set<string>;
  /** The request it is answering, by message id. */
  answering: { id: number; waiting: Waiting } | null;
}

export interface PredictorPoolOptions {
  processes: number;
  /** Scheduling niceness (0-19) of the inference processes. */
  nice: number;
  child: ChildOptions;
  logger: Logger;
}

export class PredictorPool {
  private readonly processes: InferenceProcess[] = [];
  private readonly queue = new FairQueue<Waiting>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: PredictorPoolOptions) {}

  predict(request: PredictRequest): Promise<PredictResult> {
    if (this.closed) return Promise.reject(new ApiError('predictor_unavailable', 'The API is shutting down.'));
    return new Promise<PredictResult>((resolve, reject) => {
      const waiting: Waiting = { request, resolve, reject };
      this.queue.push(request.tenantId, waiting);
      request.signal?.addEventListener(
        'abort',
        () => {
          if (this.queue.remove(request.tenantId, waiting)) reject(new ApiError('predictor_unavailable', 'The request was abandoned.'));
        },
        { once: true },
      );
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (let waiting = this.queue.shift(); waiting; waiting = this.queue.shift()) {
      waiting.reject(new ApiError('predictor_unavailable', 'The API is shutting down.'));
    }
    await Promise.all(
      this.processes.map(async (inference) => {
        if (inference.child.exitCode !== null || inference.child.signalCode !== null) return;
        const exited = new Promise((resolve) => inference.child.once('exit', resolve));
        inference.child.kill('SIGTERM');
        await exited;
      }),
    );
  }

  private dispatch(): void {
    while (this.queue.size > 0) {
      const idle = this.processes.filter((candidate) => !candidate.busy);
      if (idle.length === 0 && this.processes.length >= this.options.processes) return;
      const waiting = this.queue.shift()!;
      const key = waiting.request.model.key;
      const inference = idle.find((candidate) => candidate.loaded.has(key)) ?? idle[0] ?? this.start();
      void this.send(inference, waiting);
    }
  }

  private async send(inference: InferenceProcess, waiting: Waiting): Promise<void> {
    inference.busy = true;
    let engine: string;
    try {
      engine = await inference.ready;
    } catch (error) {
      waiting.reject(error);
      return; // the process is gone; start() removed it
    }
    const id = this.nextId++;
    inference.answering = { id, waiting };
    const timer = setTimeout(() => {
      this.options.logger.error({ pid: inference.child.pid, timeoutMs: REQUEST_TIMEOUT_MS }, 'inference process timed out; killing it');
      inference.child.kill('SIGKILL');
    }, REQUEST_TIMEOUT_MS);
    // null: the process ended first (its exit handler has failed the request already).
    const finished = new Promise<FromChild | null>((resolve) => {
      const onExit = () => resolve(null);
      const onMessage = (message: FromChild) => {
        if (message.type === 'ready' || message.id !== id) return;
        inference.child.off('message', onMessage);
        inference.child.off('exit', onExit);
        resolve(message);
      };
      inference.child.on('message', onMessage);
      inference.child.once('exit', onExit);
    });
    const { request } = waiting;
    inference.child.send({ type: 'predict', id, model: request.model, inputs: request.inputs, top: request.top });
    const answer = await finished;
    clearTimeout(timer);
    if (answer === null || answer.type === 'ready') return;
    inference.answering = null;
    inference.loaded = new Set(answer.loaded);
    inference.busy = false;
    if (answer.type === 'result') {
      if (answer.evicted.length > 0)
        this.options.logger.info({ pid: inference.child.pid, evicted: answer.evicted }, 'models unloaded to make room');
      waiting.resolve({ predictions: answer.predictions, cache: answer.cache, engine });
    } else {
      waiting.reject(new ApiError(answer.error.code, answer.error.message, answer.error.details));
    }
    this.dispatch();
  }

  private start(): InferenceProcess {
    const { logger } = this.options;
    const child = fork(CHILD, [JSON.stringify(this.options.child)], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [],
    });
    try {
      // Below the API's own priority: on a busy machine its event loop gets the CPU first.
      if (child.pid !== undefined) setPriority(child.pid, this.options.nice);
    } catch (error) {
      logger.warn({ err: error, nice: this.options.nice }, 'could not lower the priority of an inference process');
    }
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.trim() === '') return;
      stderr.push(line);
      if (stderr.length > 20) stderr.shift();
      logger.warn({ pid: child.pid, line }, 'inference process');
    });
    const inference: InferenceProcess = {
      child,
      busy: false,
      loaded: new Set(),
      answering: null,
      ready: new Promise<string>((resolve, reject) => {
        child.on('message', (message: FromChild) => {
          if (message.type === 'ready') resolve(message.engine);
        });
        child.once('exit', () =>
          reject(new ApiError('predictor_unavailable', `The inference process could not start: ${stderr.slice(-3).join(' ')}`)),
        );
      }),
    };
    inference.ready.then(
      (engine) => logger.info({ pid: child.pid, engine }, 'inference process ready'),
      () => undefined,
    );
    child.once('exit', (code, signal) => {
      this.processes.splice(this.processes.indexOf(inference), 1);
      if (!this.closed) logger.warn({ pid: child.pid, code, signal }, 'inference process exited');
      const answering = inference.answering;
      if (answering) {
        inference.answering = null;
        answering.waiting.reject(
          new ApiError('predictor_unavailable', `The inference process ended (${signal ?? `exit code ${code}`}) while answering.`),
        );
      }
      if (!this.closed) this.dispatch();
    });
    child.on('error', (error) => logger.error({ err: error }, 'inference process error'));
    this.processes.push(inference);
    return inference;
  }
}
