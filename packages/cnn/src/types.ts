/**
 * The contracts between the parts of the CNN package. Each part (engine, models, data, train,
 * evaluate, checkpoint, export) depends on these types, never on another part's internals.
 */
import type * as tf from '@tensorflow/tfjs';
import type { FreezeSpec, NormalizeMode, OptimizerName, ScheduleName, TrainConfig } from '@trainyard/contracts';
import type { Family } from './models/families/index.js';

/** Height, width, channels: tfjs's NHWC layout without the batch dimension. */
export type InputShape = [height: number, width: number, channels: number];

// ---------------------------------------------------------------- datasets

/** One batch as plain arrays: pixels scaled to [0, 1] in NHWC order, labels as class indices. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

/** A set of examples read by index, so a trainer can shuffle and stream without one big tensor. */
export interface Split {
  readonly size: number;
  /** Reads the examples at `indices` (in that order) into one batch. */
  read(indices: ArrayLike<number>): Batch;
  /** The class index of every example, for stratification and class counts. */
  labels(): Int32Array;
}

export interface Dataset {
  readonly name: string;
  readonly inputShape: InputShape;
  readonly classNames: string[];
  readonly train: Split;
  readonly test: Split;
}

// ---------------------------------------------------------------- models

/** Per-channel normalisation applied inside the model: (x - mean) / std, x in [0, 1]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

export interface BuildOptions {
  inputShape: InputShape;
  classes: number;
  /** Dropout rate where the architecture has dropout; the architecture's default when left out. */
  dropout?: number;
  /** GoogLeNet and Inception v3: build the auxiliary classifiers (used only in training). */
  auxLogits?: boolean;
  /** Standard adaptation for small inputs where the family has one (e.g. a CIFAR stem for ResNet). */
  smallInput?: boolean;
  /** Baked into the model's first layer so the exported model takes [0, 1] pixels. */
  normalization?: Normalization;
}

/**
 * A built network. `training` has the main logits first, then any auxiliary logits; `inference` shares
 * its layers and has only the main output. Outputs are logits (no softmax) in training; the exported
 * inference model ends in a softmax.
 */
export interface BuiltModel {
  architecture: string;
  options: Required<Pick<BuildOptions, 'inputShape' | 'classes'>> & BuildOptions;
  training: tf.LayersModel;
  inference: tf.LayersModel;
  auxOutputs: number;
}

export interface ArchitectureInfo {
  name: string;
  family: Family;
  description: string;
  /** The input the variant was designed for. */
  nativeInputShape: InputShape;
  defaultClasses: number;
  /** Smallest height and width the variant accepts (with its default options). */
  minInputSize: number;
  /** Option names this variant understands besides inputShape and classes. */
  options: Array<'dropout' | 'auxLogits' | 'smallInput'>;
}

// ---------------------------------------------------------------- training

/** The training configuration and its table are the contracts package's (the API validates the same fields). */
export type { FreezeSpec, NormalizeMode, OptimizerName, ScheduleName, TrainConfig };

export interface EpochMetrics {
  epoch: number; // from 1
  trainLoss: number;
  trainAccuracy: number;
  validationLoss: number | null;
  validationAccuracy: number | null;
  /** Only when TrainingRunSpec.evaluateTestEachEpoch is set (the reference script's per-epoch test accuracy). */
  testLoss?: number | null;
  testAccuracy?: number | null;
  learningRate: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface BatchProgress {
  epoch: number;
  step: number; // from 1 within the epoch
  stepsPerEpoch: number;
  loss: number;
  accuracy: number;
  learningRate: number;
  imagesPerSecond: number;
}

// ---------------------------------------------------------------- evaluation

export interface ClassMetrics {
  className: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  loss: number;
  top1: number;
  top5: number;
  classNames: string[];
  perClass: ClassMetrics[];
  /** confusionMatrix[true][predicted] */
  confusionMatrix: number[][];
  examples: number;
}

// ---------------------------------------------------------------- checkpoints and export

/** Where checkpoint bytes go; the package knows no storage, the caller does. */
export interface CheckpointStore {
  write(bytes: Uint8Array, info: { epoch: number; step: number }): Promise<void>;
  /** The newest checkpoint's bytes, or null when there is none. */
  readLatest(): Promise<Uint8Array | null>;
  /**
   * The end-of-epoch checkpoint after `epoch` epochs, or null when it is gone. With it, restoreBestWeights
   * reads the best epoch back from the store instead of keeping a copy of its weights in memory.
   */
  readEpoch?(epoch: number): Promise<Uint8Array | null>;
}

/** A file of an exported model: model.json, weight shards, manifest.json. */
export interface ExportedFile {
  path: string;
  bytes: Uint8Array;
}

export interface ModelManifest {
  format: 'trainyard-model/1';
  architecture: string;
  inputShape: InputShape;
  classes: number;
  classNames: string[];
  /** Inputs are pixels scaled to [0, 1]; the model applies this normalisation itself. */
  normalization: Normalization | null;
  engine: string;
  metrics: Partial<Evaluation> & Record<string, unknown>;
  createdAt: string;
}

// ---------------------------------------------------------------- one whole run (CLI and worker)

/** What a caller asks for: the worker's child process and `trainyard train` both run this. */
export interface TrainingRunSpec {
  architecture: string;
  modelOptions?: Omit<BuildOptions, 'inputShape' | 'classes' | 'normalization'>;
  dataset: Dataset;
  config: TrainConfig;
  /** Start from an exported model's weights (fine-tuning); a new head when the class count differs. */
  initialModel?: ExportedFile[];
  /**
   * Start from a torchvision state_dict (a torch.save file or .safetensors, as uploaded); the
   * classifier keeps its fresh initialisation when the file has another number of classes.
   */
  pretrainedWeights?: Uint8Array;
  /** Layers that do not train (until config.unfreezeAtEpoch): see train/freeze.ts. Default "none". */
  freeze?: FreezeSpec;
  /** Also export the trained model as a torchvision state_dict (TrainingRunResult.safetensors), where it has a torchvision layout. */
  exportSafetensors?: boolean;
  /**
   * Also evaluate the test set after every epoch (EpochMetrics.testLoss/testAccuracy), as the reference
   * script does for its testAccuracyByEpoch. Off by default: picking anything by test metrics leaks.
   */
  evaluateTestEachEpoch?: boolean;
}

export interface TrainingRunHooks {
  signal?: AbortSignal;
  /** Called once per epoch, after that epoch's checkpoint was written (if a store is given). */
  onEpoch?(metrics: EpochMetrics): void | Promise<void>;
  /** Throttled per-batch progress. */
  onBatch?(progress: BatchProgress): void;
  onPhase?(phase: 'loading_data' | 'training' | 'evaluating' | 'saving'): void;
  checkpoints?: CheckpointStore;
  /**
   * Polled at every batch boundary; each call that returns true writes one checkpoint of that exact
   * point (mid-epoch) through `checkpoints`. To checkpoint and stop (a worker's SIGTERM): make it
   * return true, then abort `signal`; the checkpoint is written before CnnError('aborted') is thrown.
   * A plain abort (cancellation) writes nothing.
   */
  checkpointRequested?(): boolean;
  /** Awaited before every batch (tests slow training down with it, so that a fault meets a running job). */
  beforeBatch?(): Promise<void>;
  /**
   * Awaited at every epoch boundary before the last epoch (after onEpoch, and once when a run resumes
   * from an epoch's checkpoint), with the epochs trained so far: false stops training there, as early
   * stopping does, and the run goes on to evaluate and export that epoch's model (a sweep's pruning).
   */
  continueAfterEpoch?(history: EpochMetrics[]): boolean | Promise<boolean>;
  /** Structured log lines; the package itself never prints. */
  log?(message: string, fields?: object): void;
}

export interface TrainingRunResult {
  engine: string;
  history: EpochMetrics[];
  /** Training ended before config.epochs: by early stopping, or by continueAfterEpoch (stoppedByCaller). */
  stoppedEarly: boolean;
  /** continueAfterEpoch answered false. */
  stoppedByCaller: boolean;
  /** On the test set. */
  evaluation: Evaluation;
  /** On the validation split, when there is one. */
  validationEvaluation: Evaluation | null;
  model: ExportedFile[];
  manifest: ModelManifest;
  /** With spec.exportSafetensors: the model as a torchvision state_dict, or null when it has no torchvision layout. */
  safetensors: Uint8Array | null;
  trainSeconds: number;
}
