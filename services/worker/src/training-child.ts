/**
 * The child process that trains one job (forked by TrainingChildProcess). It loads TensorFlow.js and
 * the data, runs the CNN package's runTraining, writes checkpoints and the exported model to object
 * storage, and reports everything else to its parent over IPC. It never touches Postgres or the queue.
 *
 * It exits when its parent goes away (the IPC channel closes), so a killed worker leaves no orphan
 * training behind.
 */
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CnnError, isCnnError } from '@trainyard/cnn/errors';
import type { CheckpointStore, ExportedFile, TrainingRunSpec } from '@trainyard/cnn/types';
import { initEngine, modelBundle, runTraining } from '@trainyard/cnn';
import { isStorageError, jobKeys, openStorage, type Storage } from '@trainyard/storage';
import type { JobPhase } from '@trainyard/contracts';
import {
  isOutOfMemoryMessage,
  type ChildMessage,
  type FailureReport,
  type ParentMessage,
  type StartMessage,
  type StoredFile,
} from './child-protocol.js';
import { openJobDataset } from './child-dataset.js';

/** Exit code when the parent went away; the parent is gone, so nobody reads it, but it shows in `ps`. */
const EXIT_ORPHANED = 70;

process.on('disconnect', () => process.exit(EXIT_ORPHANED));

// Loaded before any job arrives: the worker keeps a child forked ahead of time (warm-child.ts).
// How it chose the engine is the worker's business; the job's log gets the engine it runs on ('engine').
const enginePromise = initEngine({
  log: (message, fields) => send({ type: 'log', level: 'info', message, fields: fields as Record<string, unknown>, workerOnly: true }),
});
enginePromise.catch(() => {}); // a failure is reported when a job awaits it

const controller = new AbortController();
let stopRequested = false;
let checkpointPending = false;
let started = false;
/** The pending `rung` question: resolved by the parent's verdict, rejected by a stop or cancel. */
let awaitingVerdict: { epoch: number; resolve(continues: boolean): void; reject(error: Error): void } | null = null;

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'start':
      if (started) return;
      started = true;
      void run(message).then(
        (outcome) => finish(outcome, 0),
        (error) => {
          const failure = describeFailure(error);
          // An unexpected error's stack tells where it came from; the job's own faults say it all in their message.
          if (failure.code === 'internal' && error instanceof Error && error.stack) log('error', error.stack);
          finish({ type: 'failed', failure }, 1);
        },
      );
      return;
    case 'stop':
      // Checkpoint at the next batch boundary, then stop (runTraining writes it before throwing).
      stopRequested = true;
      checkpointPending = true;
      controller.abort();
      stopAwaitingVerdict();
      return;
    case 'cancel':
      stopRequested = true;
      controller.abort();
      stopAwaitingVerdict();
      return;
    case 'verdict':
      if (awaitingVerdict?.epoch === message.epoch) awaitingVerdict.resolve(message.continues);
      awaitingVerdict = null;
      return;
  }
});

/** A stop while waiting for a verdict: that epoch's checkpoint is written, so the run just ends (a resume asks again). */
function stopAwaitingVerdict(): void {
  awaitingVerdict?.reject(new CnnError('aborted', 'Training was aborted.'));
  awaitingVerdict = null;
}

/** Asks the parent whether training goes on after `epoch` (a rung of a sweep trial). */
function askVerdict(epoch: number): Promise<boolean> {
  if (controller.signal.aborted) return Promise.reject(new CnnError('aborted', 'Training was aborted.'));
  return new Promise<boolean>((resolve, reject) => {
    awaitingVerdict = { epoch, resolve, reject };
    send({ type: 'rung', epoch });
  });
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
  send({ type: 'log', level, message, fields });
}

function finish(outcome: ChildMessage, exitCode: number): void {
  // Exit only once the message is on its way: tfjs may hold handles that keep the process alive.
  process.send?.(outcome, () => process.exit(exitCode));
}

async function run(start: StartMessage): Promise<ChildMessage> {
  const storage = openStorage(start.storageUrl, {
    retry: {
      attempts: start.storageRetryAttempts,
      onRetry: ({ operation, attempt, delayMs, error }) =>
        log('warn', 'storage retry', { operation, attempt, delayMs, error: String(error) }),
    },
  });
  const keys = jobKeys(start.jobId);
  const steps = new StepClock();
  send({ type: 'phase', phase: 'loading_data' });

  const engine = await enginePromise;
  send({ type: 'engine', engine: engine.name, device: engine.device });
  steps.lap('engine');

  const opened = await openJobDataset(start.dataset, storage, start.tempDir || tmpdir());
  steps.lap('dataset');
  try {
    if (controller.signal.aborted) return { type: 'stopped' };
    const initialModel = start.initialModelKeys ? await downloadModel(storage, start.initialModelKeys) : undefined;
    const pretrainedWeights = start.pretrainedWeightsKey ? await storage.getBytes(start.pretrainedWeightsKey) : undefined;
    steps.lap('downloads');
    const checkpoints: CheckpointStore = {
      async write(bytes, info) {
        const startedAt = performance.now();
        const key = keys.checkpoint(info.epoch, info.step);
        await storage.put(key, bytes);
        send({ type: 'checkpoint', epoch: info.epoch, step: info.step, key, bytes: bytes.byteLength });
        steps.add('checkpointUploads', performance.now() - startedAt);
      },
      async readLatest() {
        return start.resumeKey ? storage.getBytes(start.resumeKey) : null;
      },
      async readEpoch(epoch) {
        const key = keys.checkpoint(epoch);
        return (await storage.head(key)) ? storage.getBytes(key) : null;
      },
    };
    const spec: TrainingRunSpec = {
      architecture: start.spec.model.architecture,
      modelOptions: start.spec.model.options,
      dataset: opened.dataset,
      config: start.spec.hyperparameters,
      initialModel,
      pretrainedWeights,
      freeze: start.spec.model.freeze,
      exportSafetensors: true,
    };
    const epochs = start.spec.hyperparameters.epochs;
    let result;
    try {
      result = await runTraining(spec, {
        signal: controller.signal,
        checkpoints,
        checkpointRequested: () => {
          const pending = checkpointPending;
          checkpointPending = false;
          return pending;
        },
        ...(start.batchDelayMs > 0 ? { beforeBatch: () => sleep(start.batchDelayMs) } : {}),
        onPhase: (phase) => {
          steps.lap(STEP_BEFORE_PHASE[phase]);
          send({ type: 'phase', phase });
        },
        onBatch: (progress) => send({ type: 'batch', progress, epochs }),
        onEpoch: (metrics) => send({ type: 'epoch', metrics }),
        ...(start.rungs.length > 0
          ? { continueAfterEpoch: (history) => (start.rungs.includes(history.length) ? askVerdict(history.length) : true) }
          : {}),
        log: (message, fields) => log('info', message, fields as Record<string, unknown> | undefined),
      });
    } catch (error) {
      if (stopRequested && isCnnError(error, 'aborted')) return { type: 'stopped' };
      throw error;
    }

    steps.lap('export');
    send({ type: 'phase', phase: 'saving' });
    const files: StoredFile[] = [];
    for (const file of result.model) {
      const key = keys.modelFile(file.path);
      await storage.put(key, file.bytes, { contentType: contentTypeOf(file.path) });
      files.push({ path: file.path, key, bytes: file.bytes.byteLength });
    }
    const bundleInfo = await storage.put(keys.modelBundle, modelBundle(result.model, new Date(result.manifest.createdAt)), {
      contentType: 'application/gzip',
    });
    const safetensors = result.safetensors
      ? {
          path: 'model.safetensors',
          key: keys.modelSafetensors,
          bytes: (await storage.put(keys.modelSafetensors, result.safetensors)).size,
        }
      : null;
    steps.lap('upload');
    // What each step of the run took by this process's clock (the job overhead bench reads it).
    log('info', 'job timings', { timings: steps.seconds });
    return {
      type: 'succeeded',
      stopReason: result.stoppedByCaller ? 'pruned' : result.stoppedEarly ? 'early_stopping' : null,
      safetensors,
      engine: result.engine,
      evaluation: result.evaluation,
      manifest: result.manifest,
      modelPrefix: keys.modelPrefix,
      files,
      bundle: { path: 'model.tar.gz', key: keys.modelBundle, bytes: bundleInfo.size },
    };
  } finally {
    await opened.cleanup().catch(() => {});
    await storage.close().catch(() => {});
  }
}

/** runTraining's phase that starts when a step of the run ends: the step is named after what came before. */
const STEP_BEFORE_PHASE: Record<JobPhase, string> = {
  loading_data: 'startup',
  training: 'modelBuild',
  evaluating: 'training',
  saving: 'evaluation',
};

/** Seconds per step of the run, each lap measured from the previous one. */
class StepClock {
  readonly seconds: Record<string, number> = {};
  private last = performance.now();

  lap(step: string): void {
    const now = performance.now();
    this.add(step, now - this.last);
    this.last = now;
  }

  add(step: string, milliseconds: number): void {
    this.seconds[step] = Math.round((this.seconds[step] ?? 0) * 1000 + milliseconds) / 1000;
  }
}

async function downloadModel(storage: Storage, files: Array<{ path: string; key: string }>): Promise<ExportedFile[]> {
  const exported: ExportedFile[] = [];
  for (const file of files) exported.push({ path: file.path, bytes: await storage.getBytes(file.key) });
  return exported;
}

function contentTypeOf(path: string): string {
  return path.endsWith('.json') ? 'application/json' : 'application/octet-stream';
}

/**
 * The CNN package's own errors are the job's fault: retrying cannot help. A storage outage that
 * outlasted the storage retries may pass: the queue retries the job later. Running out of memory is
 * the job's size, not bad luck. Anything else is unexpected, and retried within the job's attempts.
 */
function describeFailure(error: unknown): FailureReport {
  if (error instanceof CnnError) return { code: error.code, message: error.message, transient: false };
  if (isStorageError(error)) {
    return error.transient
      ? { code: 'storage_unavailable', message: error.message, transient: true }
      : { code: 'internal', message: `object storage: ${error.message}`, transient: false };
  }
  if (error instanceof RangeError && isOutOfMemoryMessage(error.message)) {
    return { code: 'out_of_memory', message: `out of memory: ${error.message}`, transient: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message, transient: true };
}
