/**
 * The training loop: epochs of shuffled, optionally augmented batches; per-step learning rate;
 * validation and a checkpoint after every epoch; throttled progress; abort and mid-epoch checkpoints at
 * batch boundaries. Written by hand rather than with model.fit so that every piece of state lives in a
 * checkpoint and a resumed run continues bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint, type PartialEpoch, type SavedArray, type TrainingCheckpoint } from '../checkpoint/format.js';
import { assertCheckpointMatches } from '../checkpoint/compatibility.js';
import { readModelWeights, writeModelWeights } from '../checkpoint/model-weights.js';
import { evaluateModel, mainOutputModel } from '../evaluate/evaluate.js';
import type { EpochMetrics, InputShape, Normalization, Split, TrainConfig, TrainingRunHooks } from '../types.js';
import { augmentBatch, isAugmenting } from './augment.js';
import { shouldStopEarly } from './early-stopping.js';
import { captureOptimizerState, createOptimizer, disposeOptimizer, restoreOptimizerState, setLearningRate } from './optimizer.js';
import { globalRandomState, restoreGlobalRandom, SeededRandom, shuffled } from './random.js';
import { learningRateAt } from './schedule.js';
import { FrozenLayers } from './freeze.js';
import { bestEpoch } from './restore-best.js';
import { trainableVariables, trainStep, type StepContext } from './train-step.js';

type TrainerHooks = NonNullable<TrainerInput['hooks']>;

/** At most one onBatch call per this many milliseconds (plus one on every epoch's last batch). */
export const BATCH_PROGRESS_INTERVAL_MS = 500;

export interface TrainerInput {
  architecture: string;
  /** The training model: main logits first, then auxiliary logits. */
  model: tf.LayersModel;
  inputShape: InputShape;
  classNames: string[];
  config: TrainConfig;
  /** Recorded in checkpoints (the model already applies it). */
  normalization: Normalization | null;
  data: Split;
  trainIndices: Int32Array;
  /** Indices into `data` held out for validation, or null. */
  validationIndices: Int32Array | null;
  /** A test split to evaluate after every epoch (EpochMetrics.testLoss/testAccuracy), or null. */
  testEachEpoch?: Split | null;
  hooks?: Pick<
    TrainingRunHooks,
    'signal' | 'onEpoch' | 'onBatch' | 'checkpoints' | 'checkpointRequested' | 'beforeBatch' | 'continueAfterEpoch' | 'log'
  >;
  /** A decoded checkpoint of this same run to continue from. */
  resume?: TrainingCheckpoint | null;
  /** Names of layers that do not train (until config.unfreezeAtEpoch); see freeze.ts. */
  frozenLayers?: readonly string[];
}

export interface TrainerOutput {
  history: EpochMetrics[];
  stoppedEarly: boolean;
  /** hooks.continueAfterEpoch answered false. */
  stoppedByCaller: boolean;
  /** Sum of the epochs' wall-clock seconds, across resumptions. */
  trainSeconds: number;
  /** The epoch (1-based) whose weights the model holds at the end: the last, or the best with restoreBestWeights. */
  weightsEpoch: number;
}

/** What stays fixed for a whole run, prepared once. */
interface TrainingSetup {
  input: TrainerInput;
  hooks: TrainerHooks;
  log: NonNullable<TrainerHooks['log']>;
  step: StepContext;
  /** The main output only, for validation and test evaluation. */
  evaluated: tf.LayersModel;
  stepsPerEpoch: number;
  frozen: FrozenLayers;
  /** restoreBestWeights without a store to read the best epoch back from: keep its weights in memory. */
  keepsBestInMemory: boolean;
}

/** Everything that changes from batch to batch: what a checkpoint saves and a resumed run restores. */
interface TrainingState {
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  history: EpochMetrics[];
  random: SeededRandom;
  /** The data order and running sums of an epoch a checkpoint interrupted, until that epoch resumes. */
  resumedOrder: Int32Array | null;
  resumedPartial: PartialEpoch | null;
  /** When onBatch was last called (not checkpointed: a resumed run reports its first batch). */
  lastProgressAt: number;
  /** The best epoch's weights, when setup.keepsBestInMemory. */
  bestWeights: { epoch: number; weights: SavedArray[] } | null;
}

/** The epoch in progress. Its running sums stay on the device: reading them back every step would stall asynchronous engines. */
interface EpochInProgress {
  order: Int32Array;
  lossSum: tf.Scalar;
  correct: tf.Scalar;
  seen: number;
  startedAt: number;
  learningRate: number;
}

export async function trainModel(input: TrainerInput): Promise<TrainerOutput> {
  if (input.trainIndices.length === 0) throw new CnnError('invalid_option', 'The training set is empty.');
  const setup = prepareSetup(input);
  try {
    const state = input.resume ? await restoreState(setup, input.resume) : initialState(input.config);
    let stoppedByCaller = false;
    while (state.epoch < input.config.epochs && !shouldStopEarly(state.history, input.config.earlyStopping)) {
      if (!(await continuesAfterEpoch(setup, state))) {
        stoppedByCaller = true;
        break;
      }
      await runEpoch(setup, state);
    }
    const weightsEpoch = input.config.restoreBestWeights ? await restoreBestWeights(setup, state) : state.history.length;
    return {
      history: state.history,
      stoppedEarly: state.epoch < input.config.epochs,
      stoppedByCaller,
      trainSeconds: state.history.reduce((sum, m) => sum + m.seconds, 0),
      weightsEpoch,
    };
  } finally {
    disposeOptimizer(setup.step.optimizer);
    // The exported model carries no trace of the freeze (its layers load as trainable, as usual).
    setup.frozen.unfreeze();
  }
}

/**
 * hooks.continueAfterEpoch at an epoch boundary (not before the first epoch, nor inside an epoch a
 * mid-epoch checkpoint resumes): the same check whether the epoch just ended or a resumed run starts
 * after it, so a caller's decision at that epoch holds across restarts.
 */
async function continuesAfterEpoch(setup: TrainingSetup, state: TrainingState): Promise<boolean> {
  const ask = setup.hooks.continueAfterEpoch;
  if (!ask || state.epoch === 0 || state.stepInEpoch > 0) return true;
  const continues = await ask(state.history);
  if (!continues) setup.log('stopped by the caller', { epoch: state.epoch });
  return continues;
}

function prepareSetup(input: TrainerInput): TrainingSetup {
  const { model, config, classNames } = input;
  const hooks = input.hooks ?? {};
  const frozen = new FrozenLayers(model, input.frozenLayers ?? []);
  const { variables, decayed } = trainableVariables(model, frozen.trainableWeights());
  return {
    input,
    hooks,
    log: hooks.log ?? (() => undefined),
    step: { model, optimizer: createOptimizer(config), variables, decayed, classes: classNames.length, config },
    evaluated: mainOutputModel(model),
    stepsPerEpoch: Math.ceil(input.trainIndices.length / config.batchSize),
    frozen,
    keepsBestInMemory: config.restoreBestWeights && !hooks.checkpoints?.readEpoch,
  };
}

function initialState(config: TrainConfig): TrainingState {
  return {
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    history: [],
    random: SeededRandom.fromSeed(config.seed),
    resumedOrder: null,
    resumedPartial: null,
    // -Infinity: the first batch always reports, however young the process (performance.now() starts at 0).
    lastProgressAt: Number.NEGATIVE_INFINITY,
    bestWeights: null,
  };
}

/** Checks that the checkpoint belongs to this run (the one place that does), then loads it into the model and optimizer. */
async function restoreState(setup: TrainingSetup, checkpoint: TrainingCheckpoint): Promise<TrainingState> {
  const { input, step } = setup;
  assertCheckpointMatches(checkpoint, {
    architecture: input.architecture,
    inputShape: input.inputShape,
    classes: input.classNames.length,
    config: input.config,
  });
  writeModelWeights(input.model, checkpoint.weights);
  await restoreOptimizerState(step.optimizer, checkpoint.optimizer);
  if (checkpoint.globalRandom) restoreGlobalRandom(checkpoint.globalRandom);
  const { epoch, stepInEpoch, globalStep } = checkpoint;
  setup.log('resuming from checkpoint', { epoch, stepInEpoch, globalStep });
  return {
    ...initialState(input.config),
    epoch,
    stepInEpoch,
    globalStep,
    history: checkpoint.history.slice(),
    random: SeededRandom.fromState(checkpoint.random),
    resumedOrder: checkpoint.epochOrder,
    resumedPartial: checkpoint.partialEpoch,
  };
}

async function runEpoch(setup: TrainingSetup, state: TrainingState): Promise<void> {
  unfreezeIfDue(setup, state);
  const current = startEpoch(setup, state);
  try {
    for (; state.stepInEpoch < setup.stepsPerEpoch; state.stepInEpoch++) {
      await batchBoundary(setup, state, current);
      runBatch(setup, state, current);
      await reportBatch(setup, state, current);
    }
    const metrics = await epochMetrics(setup, state, current);
    assertFiniteLoss(metrics.trainLoss, state);
    state.history = [...state.history, metrics];
    state.epoch += 1;
    state.stepInEpoch = 0;
    if (setup.keepsBestInMemory && bestEpoch(state.history) === state.epoch) {
      state.bestWeights = { epoch: state.epoch, weights: await readModelWeights(setup.input.model) };
    }
    await writeCheckpoint(setup, state, null);
    setup.log('epoch finished', { ...metrics });
    await setup.hooks.onEpoch?.(metrics);
  } finally {
    tf.dispose([current.lossSum, current.correct]);
  }
}

/**
 * At the start of epoch unfreezeAtEpoch (1-based), before its first step or its first resumed step:
 * every frozen layer trains from here on. The optimizer then also updates the unfrozen variables,
 * listed after the ones it already has state for.
 */
function unfreezeIfDue(setup: TrainingSetup, state: TrainingState): void {
  const { unfreezeAtEpoch } = setup.input.config;
  if (!setup.frozen.isFrozen || unfreezeAtEpoch === null || state.epoch + 1 < unfreezeAtEpoch) return;
  setup.frozen.unfreeze();
  Object.assign(setup.step, trainableVariables(setup.input.model, setup.frozen.trainableWeights()));
  setup.log('layers unfrozen', { epoch: state.epoch + 1, layers: setup.frozen.frozenLayerNames.length });
}

/**
 * restoreBestWeights: loads the weights of the epoch with the lowest validation loss, from memory or
 * from that epoch's checkpoint (a resumed run did not see every epoch). Returns that epoch.
 */
async function restoreBestWeights(setup: TrainingSetup, state: TrainingState): Promise<number> {
  const best = bestEpoch(state.history);
  const last = state.history.length;
  if (best === null || best === last) return last;
  if (state.bestWeights?.epoch === best) {
    writeModelWeights(setup.input.model, state.bestWeights.weights);
  } else {
    const bytes = setup.hooks.checkpoints?.readEpoch ? await setup.hooks.checkpoints.readEpoch(best) : null;
    if (!bytes)
      throw new CnnError(
        'checkpoint_invalid',
        `The checkpoint of epoch ${best} (lowest validation loss) is missing; its weights cannot be restored.`,
      );
    writeModelWeights(setup.input.model, decodeCheckpoint(bytes).weights);
  }
  setup.log('best weights restored', { epoch: best, validationLoss: state.history[best - 1]!.validationLoss });
  return best;
}

/** A new epoch, or the rest of the one a checkpoint interrupted. */
function startEpoch(setup: TrainingSetup, state: TrainingState): EpochInProgress {
  const { config, trainIndices } = setup.input;
  const partial = state.resumedPartial ?? { lossSum: 0, correct: 0, seen: 0, trainSeconds: 0 };
  const order = state.resumedOrder ?? shuffled(trainIndices, state.random);
  state.resumedOrder = null;
  state.resumedPartial = null;
  return {
    order,
    lossSum: tf.scalar(partial.lossSum),
    correct: tf.scalar(partial.correct),
    seen: partial.seen,
    startedAt: performance.now() - partial.trainSeconds * 1000,
    learningRate: learningRateAt(config, state.globalStep, setup.stepsPerEpoch),
  };
}

/** Between two batches: let pending events (abort, checkpoint requests) in, then honour them. */
async function batchBoundary(setup: TrainingSetup, state: TrainingState, current: EpochInProgress): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await setup.hooks.beforeBatch?.();
  if (setup.hooks.checkpointRequested?.()) {
    await writeCheckpoint(setup, state, { order: current.order, partial: await readSums(current) });
  }
  if (setup.hooks.signal?.aborted) throw new CnnError('aborted', 'Training was aborted.', { epoch: state.epoch, step: state.stepInEpoch });
}

function runBatch(setup: TrainingSetup, state: TrainingState, current: EpochInProgress): void {
  const { config, data, inputShape } = setup.input;
  const indices = current.order.subarray(state.stepInEpoch * config.batchSize, (state.stepInEpoch + 1) * config.batchSize);
  const batch = data.read(indices);
  const pixels = isAugmenting(config.augmentation)
    ? augmentBatch(batch.x, batch.size, inputShape, config.augmentation, state.random)
    : batch.x;
  current.learningRate = learningRateAt(config, state.globalStep, setup.stepsPerEpoch);
  setLearningRate(setup.step.optimizer, current.learningRate);
  const x = tf.tensor4d(pixels, [batch.size, ...inputShape]);
  const labels = tf.tensor1d(batch.y, 'int32');
  const step = trainStep(setup.step, x, labels);
  const lossSum = tf.tidy(() => current.lossSum.add(step.loss.mul(batch.size)));
  const correct = tf.tidy(() => current.correct.add(step.correct));
  tf.dispose([x, labels, step.loss, step.correct, current.lossSum, current.correct]);
  current.lossSum = lossSum as tf.Scalar;
  current.correct = correct as tf.Scalar;
  current.seen += batch.size;
  state.globalStep += 1;
}

/** Throttled onBatch: at most one call per BATCH_PROGRESS_INTERVAL_MS, plus the epoch's last batch. */
async function reportBatch(setup: TrainingSetup, state: TrainingState, current: EpochInProgress): Promise<void> {
  const { onBatch } = setup.hooks;
  const now = performance.now();
  const last = state.stepInEpoch === setup.stepsPerEpoch - 1;
  if (!onBatch || (!last && now - state.lastProgressAt < BATCH_PROGRESS_INTERVAL_MS)) return;
  state.lastProgressAt = now;
  const sums = await readSums(current);
  assertFiniteLoss(sums.lossSum, state);
  onBatch({
    epoch: state.epoch + 1,
    step: state.stepInEpoch + 1,
    stepsPerEpoch: setup.stepsPerEpoch,
    loss: sums.lossSum / sums.seen,
    accuracy: sums.correct / sums.seen,
    learningRate: current.learningRate,
    imagesPerSecond: sums.seen / Math.max(sums.trainSeconds, 1e-9),
  });
}

/**
 * A NaN or infinite loss never recovers (the weights it updated are NaN too): training stops, before
 * the epoch's checkpoint and before any model is exported. Checked where the loss is read anyway (the
 * throttled progress and the epoch's end): the running sum stays non-finite once one batch was.
 */
function assertFiniteLoss(loss: number, state: TrainingState): void {
  if (Number.isFinite(loss)) return;
  throw new CnnError('training_diverged', `The loss became ${loss} in epoch ${state.epoch + 1}; lower the learning rate.`, {
    epoch: state.epoch + 1,
    step: state.stepInEpoch + 1,
  });
}

/** The finished epoch's metrics, with validation (and test, when asked for) evaluated now. */
async function epochMetrics(setup: TrainingSetup, state: TrainingState, current: EpochInProgress): Promise<EpochMetrics> {
  const { config, data, classNames, validationIndices, testEachEpoch } = setup.input;
  const sums = await readSums(current);
  const batchSize = config.batchSize;
  const validation = validationIndices
    ? await evaluateModel(setup.evaluated, data, { classNames, batchSize, indices: validationIndices })
    : null;
  const test = testEachEpoch ? await evaluateModel(setup.evaluated, testEachEpoch, { classNames, batchSize }) : null;
  return {
    epoch: state.epoch + 1,
    trainLoss: sums.lossSum / sums.seen,
    trainAccuracy: sums.correct / sums.seen,
    validationLoss: validation ? validation.loss : null,
    validationAccuracy: validation ? validation.top1 : null,
    ...(test ? { testLoss: test.loss, testAccuracy: test.top1 } : {}),
    learningRate: current.learningRate,
    seconds: (performance.now() - current.startedAt) / 1000,
    imagesPerSecond: sums.seen / Math.max(sums.trainSeconds, 1e-9),
  };
}

async function readSums(current: EpochInProgress): Promise<PartialEpoch> {
  return {
    lossSum: (await current.lossSum.data())[0]!,
    correct: (await current.correct.data())[0]!,
    seen: current.seen,
    trainSeconds: (performance.now() - current.startedAt) / 1000,
  };
}

/** Writes the state through hooks.checkpoints: at an epoch's end (`interrupted` null) or inside one. */
async function writeCheckpoint(
  setup: TrainingSetup,
  state: TrainingState,
  interrupted: { order: Int32Array; partial: PartialEpoch } | null,
): Promise<void> {
  const { input, hooks } = setup;
  if (!hooks.checkpoints) return;
  const checkpoint: TrainingCheckpoint = {
    architecture: input.architecture,
    inputShape: input.inputShape,
    classes: input.classNames.length,
    config: input.config,
    normalization: input.normalization,
    epoch: state.epoch,
    stepInEpoch: state.stepInEpoch,
    globalStep: state.globalStep,
    history: state.history,
    random: state.random.state(),
    globalRandom: globalRandomState(),
    epochOrder: interrupted?.order ?? null,
    partialEpoch: interrupted?.partial ?? null,
    weights: await readModelWeights(input.model),
    optimizer: await captureOptimizerState(setup.step.optimizer),
  };
  await hooks.checkpoints.write(encodeCheckpoint(checkpoint), { epoch: state.epoch, step: state.stepInEpoch });
  setup.log('checkpoint written', { epoch: state.epoch, step: state.stepInEpoch });
}
