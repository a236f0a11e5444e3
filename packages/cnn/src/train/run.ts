/**
 * One whole training run, as both `trainyard train` and the service worker's child process perform it:
 * data -> model -> training (resumed from the latest checkpoint if there is one) -> evaluation -> export.
 */
import { assertCheckpointMatches } from '../checkpoint/compatibility.js';
import { decodeCheckpoint } from '../checkpoint/format.js';
import { stratifiedSplit } from '../data/stratified-split.js';
import { initEngine } from '../engine/index.js';
import { CnnError } from '../errors.js';
import { evaluateModel, mainOutputModel } from '../evaluate/evaluate.js';
import { exportModel } from '../export/export-model.js';
import { buildModel, disposeBuiltModel } from '../models/index.js';
import type { Evaluation, ModelManifest, Normalization, TrainConfig, TrainingRunHooks, TrainingRunResult, TrainingRunSpec } from '../types.js';
import { resolveTrainConfig } from './config.js';
import { applyInitialWeights } from './initial-weights.js';
import { computeNormalization } from './normalization.js';
import { seedGlobalRandom } from './random.js';
import { trainModel } from './trainer.js';

export async function runTraining(spec: TrainingRunSpec, hooks: TrainingRunHooks = {}): Promise<TrainingRunResult> {
  const log = hooks.log ?? (() => undefined);
  const throwIfAborted = (): void => {
    if (hooks.signal?.aborted) throw new CnnError('aborted', 'Training was aborted.');
  };

  hooks.onPhase?.('loading_data');
  const engine = await initEngine({ log });
  const config = resolveTrainConfig(spec.config as unknown as Record<string, unknown>);
  const { dataset, architecture } = spec;
  const { inputShape, classNames } = dataset;
  const classes = classNames.length;
  if (classes < 2) throw new CnnError('invalid_option', `A classifier needs at least 2 classes; the dataset has ${classes}.`);
  log('training run', { architecture, dataset: dataset.name, engine: engine.name, config });

  const latest = hooks.checkpoints ? await hooks.checkpoints.readLatest() : null;
  const resume = latest ? decodeCheckpoint(latest) : null;
  if (resume) assertCheckpointMatches(resume, { architecture, inputShape, classes, config });
  throwIfAborted();

  const labels = dataset.train.labels();
  const badLabel = labels.findIndex((label) => !(label >= 0 && label < classes));
  if (badLabel >= 0) {
    throw new CnnError('dataset_malformed', `Training example ${badLabel} has label ${labels[badLabel]}, outside the ${classes} classes.`);
  }
  const { trainIndices, validationIndices } = validationSplit(labels, config);
  const normalization: Normalization | null = resume
    ? resume.normalization
    : config.normalize
      ? computeNormalization(dataset.train, trainIndices, inputShape)
      : null;
  if (normalization) log('normalization', { ...normalization });
  throwIfAborted();

  // Initialisers draw from Math.random: seed it before building, so the same seed builds the same model.
  seedGlobalRandom(config.seed);
  const built = buildModel(architecture, {
    ...spec.modelOptions,
    inputShape,
    classes,
    ...(normalization ? { normalization } : {}),
  });
  try {
    if (spec.initialModel && !resume) {
      const report = applyInitialWeights(built.training, spec.initialModel, architecture);
      log('initial weights loaded', { copied: report.copied.length, fresh: report.fresh });
    }

    hooks.onPhase?.('training');
    const trained = await trainModel({
      architecture,
      model: built.training,
      inputShape,
      classNames,
      config,
      normalization,
      data: dataset.train,
      trainIndices,
      validationIndices,
      testEachEpoch: spec.evaluateTestEachEpoch ? dataset.test : null,
      hooks,
      resume,
    });

    hooks.onPhase?.('evaluating');
    const evaluated = mainOutputModel(built.training);
    const evaluation = await evaluateModel(evaluated, dataset.test, { classNames, batchSize: config.batchSize });
    throwIfAborted();
    const validationEvaluation = validationIndices
      ? await evaluateModel(evaluated, dataset.train, { classNames, batchSize: config.batchSize, indices: validationIndices })
      : null;
    log('evaluation', { loss: evaluation.loss, top1: evaluation.top1, top5: evaluation.top5 });
    throwIfAborted();

    hooks.onPhase?.('saving');
    const manifest: ModelManifest = {
      format: 'trainyard-model/1',
      architecture,
      inputShape,
      classes,
      classNames,
      normalization,
      engine: engine.name,
      metrics: manifestMetrics(evaluation, validationEvaluation, trained.history.length, trained.trainSeconds, config),
      createdAt: new Date().toISOString(),
    };
    const model = await exportModel(built.inference, manifest);
    return {
      engine: engine.name,
      history: trained.history,
      stoppedEarly: trained.stoppedEarly,
      evaluation,
      validationEvaluation,
      model,
      manifest,
      trainSeconds: trained.trainSeconds,
    };
  } finally {
    disposeBuiltModel(built);
  }
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
