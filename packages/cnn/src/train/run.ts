/**
 * One whole training run, as both `trainyard train` and the service worker's child process perform it:
 * data -> model -> training (resumed from the latest checkpoint if there is one) -> evaluation -> export.
 */
import { decodeCheckpoint, type TrainingCheckpoint } from '../checkpoint/format.js';
import { stratifiedSplit } from '../data/stratified-split.js';
import { initEngine } from '../engine/index.js';
import { CnnError } from '../errors.js';
import { evaluateModel, mainOutputModel } from '../evaluate/evaluate.js';
import { exportModel } from '../export/export-model.js';
import { buildModel, disposeBuiltModel } from '../models/index.js';
import type {
  BuiltModel,
  Dataset,
  Evaluation,
  ModelManifest,
  Normalization,
  TrainConfig,
  TrainingRunHooks,
  TrainingRunResult,
  TrainingRunSpec,
} from '../types.js';
import { resolveTrainConfig } from './config.js';
import { readManifest } from '../export/read-exported.js';
import { hasTorchvisionLayout, trainedSafetensors } from '../export/trained-safetensors.js';
import { applyStateDict } from '../weights/apply-state-dict.js';
import { inspectStateDict } from '../weights/inspect-weights.js';
import { readStateDict } from '../weights/read-state-dict.js';
import { layersToFreeze } from './freeze.js';
import { applyInitialWeights } from './initial-weights.js';
import { computeNormalization, imagenetNormalization } from './normalization.js';
import { seedGlobalRandom } from './random.js';
import { trainModel } from './trainer.js';

export async function runTraining(spec: TrainingRunSpec, hooks: TrainingRunHooks = {}): Promise<TrainingRunResult> {
  const log = hooks.log ?? (() => undefined);
  hooks.onPhase?.('loading_data');
  const engine = await initEngine({ log });
  const config = resolveTrainConfig(spec.config as unknown as Record<string, unknown>);
  const { dataset, architecture } = spec;
  log('training run', { architecture, dataset: dataset.name, engine: engine.name, config });
  // The trainer checks that the checkpoint belongs to this run before it loads it.
  const latest = hooks.checkpoints ? await hooks.checkpoints.readLatest() : null;
  const resume = latest ? decodeCheckpoint(latest) : null;
  throwIfAborted(hooks);
  const prepared = prepareData(spec, config, resume, log);
  throwIfAborted(hooks);

  // Initialisers draw from Math.random: seed it before building, so the same seed builds the same model.
  seedGlobalRandom(config.seed);
  const built = buildModel(architecture, {
    ...spec.modelOptions,
    inputShape: dataset.inputShape,
    classes: dataset.classNames.length,
    ...(prepared.normalization ? { normalization: prepared.normalization } : {}),
  });
  try {
    if (spec.initialModel && !resume) {
      const report = applyInitialWeights(built.training, spec.initialModel, architecture);
      log('initial weights loaded', { copied: report.copied.length, fresh: report.fresh });
    }
    if (spec.pretrainedWeights && !resume) {
      const { format, tensors } = readStateDict(spec.pretrainedWeights);
      const classes = inspectStateDict(format, tensors, architecture).classes;
      const report = applyStateDict(built, tensors, { architecture, skipClassifier: classes !== dataset.classNames.length });
      log('pretrained weights loaded', {
        format,
        loaded: report.loaded,
        newClassifier: report.skipped.length > 0,
        missing: report.missing,
        ignored: report.ignored,
      });
    }
    const frozenLayers = layersToFreeze(built.training, architecture, spec.freeze);
    if (frozenLayers.length > 0) log('layers frozen', { layers: frozenLayers.length, unfreezeAtEpoch: config.unfreezeAtEpoch });

    hooks.onPhase?.('training');
    const trained = await trainModel({
      architecture,
      model: built.training,
      inputShape: dataset.inputShape,
      classNames: dataset.classNames,
      config,
      normalization: prepared.normalization,
      data: dataset.train,
      trainIndices: prepared.trainIndices,
      validationIndices: prepared.validationIndices,
      testEachEpoch: spec.evaluateTestEachEpoch ? dataset.test : null,
      hooks,
      resume,
      frozenLayers,
    });

    hooks.onPhase?.('evaluating');
    const { evaluation, validationEvaluation } = await evaluateTrained(built.training, dataset, prepared, config, hooks);

    hooks.onPhase?.('saving');
    const manifest: ModelManifest = {
      format: 'trainyard-model/1',
      architecture,
      inputShape: dataset.inputShape,
      classes: dataset.classNames.length,
      classNames: dataset.classNames,
      normalization: prepared.normalization,
      engine: engine.name,
      metrics: {
        ...manifestMetrics(evaluation, validationEvaluation, trained.history.length, trained.trainSeconds, config),
        weightsEpoch: trained.weightsEpoch,
      },
      createdAt: new Date().toISOString(),
    };
    return {
      engine: engine.name,
      history: trained.history,
      stoppedEarly: trained.stoppedEarly,
      stoppedByCaller: trained.stoppedByCaller,
      evaluation,
      validationEvaluation,
      model: await exportModel(built.inference, manifest),
      manifest,
      safetensors:
        spec.exportSafetensors && hasTorchvisionLayout(built)
          ? trainedSafetensors(built, { inputShape: dataset.inputShape, classNames: dataset.classNames })
          : null,
      trainSeconds: trained.trainSeconds,
    };
  } finally {
    disposeBuiltModel(built);
  }
}

function throwIfAborted(hooks: TrainingRunHooks): void {
  if (hooks.signal?.aborted) throw new CnnError('aborted', 'Training was aborted.');
}

interface PreparedData {
  trainIndices: Int32Array;
  validationIndices: Int32Array | null;
  normalization: Normalization | null;
}

/** Checks the labels, holds out the validation split, and computes the normalisation (or takes the checkpoint's). */
function prepareData(
  spec: TrainingRunSpec,
  config: TrainConfig,
  resume: TrainingCheckpoint | null,
  log: (message: string, fields?: object) => void,
): PreparedData {
  const { dataset } = spec;
  const classes = dataset.classNames.length;
  if (classes < 2) throw new CnnError('invalid_option', `A classifier needs at least 2 classes; the dataset has ${classes}.`);
  const labels = dataset.train.labels();
  const badLabel = labels.findIndex((label) => !(label >= 0 && label < classes));
  if (badLabel >= 0) {
    throw new CnnError('dataset_malformed', `Training example ${badLabel} has label ${labels[badLabel]}, outside the ${classes} classes.`);
  }
  const { trainIndices, validationIndices } = validationSplit(labels, config);
  const normalization = resume ? resume.normalization : chooseNormalization(spec, config, trainIndices);
  if (normalization) log('normalization', { ...normalization });
  return { trainIndices, validationIndices, normalization };
}

/**
 * The normalisation baked into a new run's model. A fine-tune from a job keeps that job's (its weights
 * learnt on it); otherwise config.normalize decides.
 */
function chooseNormalization(spec: TrainingRunSpec, config: TrainConfig, trainIndices: Int32Array): Normalization | null {
  if (spec.initialModel) return readManifest(spec.initialModel).normalization;
  switch (config.normalize) {
    case 'none':
      return null;
    case 'dataset':
      return computeNormalization(spec.dataset.train, trainIndices, spec.dataset.inputShape);
    case 'imagenet':
      return imagenetNormalization(spec.architecture, spec.dataset.inputShape);
  }
}

/** The trained model on the test set, then on the validation split when there is one. */
async function evaluateTrained(
  training: BuiltModel['training'],
  dataset: Dataset,
  prepared: PreparedData,
  config: TrainConfig,
  hooks: TrainingRunHooks,
): Promise<{ evaluation: Evaluation; validationEvaluation: Evaluation | null }> {
  const { classNames } = dataset;
  const evaluated = mainOutputModel(training);
  const evaluation = await evaluateModel(evaluated, dataset.test, { classNames, batchSize: config.batchSize });
  throwIfAborted(hooks);
  const validationEvaluation = prepared.validationIndices
    ? await evaluateModel(evaluated, dataset.train, { classNames, batchSize: config.batchSize, indices: prepared.validationIndices })
    : null;
  hooks.log?.('evaluation', { loss: evaluation.loss, top1: evaluation.top1, top5: evaluation.top5 });
  throwIfAborted(hooks);
  return { evaluation, validationEvaluation };
}

/** The stratified, seeded hold-out of config.validationSplit (all examples train when it is 0). */
function validationSplit(labels: Int32Array, config: TrainConfig): { trainIndices: Int32Array; validationIndices: Int32Array | null } {
  if (config.validationSplit === 0) return { trainIndices: Int32Array.from(labels, (_, i) => i), validationIndices: null };
  const { kept, heldOut } = stratifiedSplit(labels, config.validationSplit, config.seed);
  if (heldOut.length === 0) {
    throw new CnnError('invalid_option', `validationSplit ${config.validationSplit} of ${labels.length} examples holds out none.`, {
      field: 'validationSplit',
    });
  }
  return { trainIndices: kept, validationIndices: heldOut };
}

function manifestMetrics(
  test: Evaluation,
  validation: Evaluation | null,
  epochs: number,
  trainSeconds: number,
  config: TrainConfig,
): ModelManifest['metrics'] {
  return {
    ...test,
    validation: validation ? { loss: validation.loss, top1: validation.top1, top5: validation.top5, examples: validation.examples } : null,
    epochsTrained: epochs,
    trainSeconds,
    config,
  };
}
