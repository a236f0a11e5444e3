/**
 * The messages between a worker (parent) and the child process that trains one job. The parent owns
 * Postgres and the queue; the child owns TensorFlow.js and writes the job's bytes (checkpoints,
 * model files) to object storage itself, then tells the parent where they are.
 */
import type { BatchProgress, EpochMetrics, Evaluation, ModelManifest } from '@trainyard/cnn/types';
import type { DeviceView, ResolvedJobSpec, JobPhase, StopReason } from '@trainyard/contracts';

/** How to read the dataset: the upload's options, then the job's (dataset.imageSize, channels, testFraction). */
interface DatasetReadOptions {
  imageSize?: [number, number];
  channels?: 1 | 3;
  testFraction?: number;
}

/** Where the child finds the training data. */
export type DatasetSource =
  | { kind: 'builtin'; name: 'fashion-mnist' | 'synthetic'; fashionMnistDir: string; read: DatasetReadOptions }
  | {
      kind: 'uploaded';
      read: DatasetReadOptions;
      /** MAX_IMAGE_PIXELS and MAX_ARCHIVE_PIXELS, checked on the headers before anything is decoded. */
      pixelLimits: { maxImagePixels: number; maxArchivePixels: number };
      datasetId: string;
      name: string;
      format: string | null;
      /** Objects in storage, in upload order: multipart part name, client file name, storage key. */
      files: Array<{ part: string; name: string; key: string }>;
    };

export interface StartMessage {
  type: 'start';
  jobId: string;
  spec: ResolvedJobSpec;
  dataset: DatasetSource;
  storageUrl: string;
  /** Tries of each storage operation before the job fails with storage_unavailable. */
  storageRetryAttempts: number;
  /** The newest recorded checkpoint to resume from, if any. */
  resumeKey: string | null;
  /** Storage keys of the fine-tuning source's exported model files. */
  initialModelKeys: Array<{ path: string; key: string }> | null;
  /** Storage key of the uploaded pretrained weights (model.pretrained.weightsId). */
  pretrainedWeightsKey: string | null;
  tempDir: string;
  /** WORKER_TEST_BATCH_DELAY_MS: a wait before every batch (fault tests); 0 in production. */
  batchDelayMs: number;
  /**
   * A sweep trial's rungs (epochs): after each, the child asks whether to go on (`rung`) and waits for
   * the `verdict`; stopped there, it exports that epoch's model as early stopping would.
   */
  rungs: number[];
}

/**
 * Parent -> child. `stop`: checkpoint at the next batch boundary and stop. `cancel`: stop now.
 * `verdict`: the answer to `rung`.
 */
export type ParentMessage = StartMessage | { type: 'stop' } | { type: 'cancel' } | { type: 'verdict'; epoch: number; continues: boolean };

export interface StoredFile {
  path: string;
  key: string;
  bytes: number;
}

export interface FailureReport {
  code: string;
  message: string;
  /** True when a retry may succeed (storage outage); false for the job's own faults. */
  transient: boolean;
}

/** Child -> parent. */
export type ChildMessage =
  | { type: 'engine'; engine: string; device: DeviceView }
  | { type: 'phase'; phase: JobPhase }
  | { type: 'batch'; progress: BatchProgress; epochs: number }
  | { type: 'checkpoint'; epoch: number; step: number; key: string; bytes: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  /** At a rung of StartMessage.rungs, after that epoch's `epoch` message: may training go on? */
  | { type: 'rung'; epoch: number }
  | {
      type: 'succeeded';
      engine: string;
      /** Why training ended before its last epoch (early stopping, or a sweep's verdict); null when it ran to the end. */
      stopReason: StopReason | null;
      evaluation: Evaluation;
      manifest: ModelManifest;
      modelPrefix: string;
      files: StoredFile[];
      bundle: StoredFile;
      /** The model as a torchvision state_dict, when its architecture has one. */
      safetensors: StoredFile | null;
    }
  /** Stopped on request (stop or cancel), after any checkpoint it was asked for. */
  | { type: 'stopped' }
  | { type: 'failed'; failure: FailureReport }
  | {
      type: 'log';
      level: 'debug' | 'info' | 'warn' | 'error';
      message: string;
      fields?: Record<string, unknown>;
      /** For the worker's log only, not the job's: how the child chose its engine, before it had a job. */
      workerOnly?: boolean;
    };

/**
 * Whether an error message says that memory ran out: a RangeError the child caught (an array buffer,
 * WebAssembly memory) or the last line a crashed child wrote (V8's heap limit).
 */
export function isOutOfMemoryMessage(message: string): boolean {
  return /memory|allocation|heap limit/i.test(message);
}
