/**
 * The training loop: epochs of shuffled, optionally augmented batches; per-step learning rate;
 * validation and a checkpoint after every epoch; throttled progress; abort and mid-epoch checkpoints at
 * batch boundaries. Written by hand rather than with model.fit so that every piece of state lives in a
 * checkpoint and a resumed run continues bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import { encodeCheckpoint, type PartialEpoch, type TrainingCheckpoint } from '../checkpoint/format.js';
import { assertCheckpointMatches } from '../checkpoint/compatibility.js';
import { readModelWeights, writeModelWeights } from '../checkpoint/model-weights.js';
import { evaluateModel, mainOutputModel } from '../evaluate/evaluate.js';
import type { EpochMetrics, InputShape, Normalization, Split, TrainConfig, TrainingRunHooks } from '../types.js';
import { augmentBatch, isAugmenting } from './augment.js';
import { shouldStopEarly } from './early-stopping.js';
import { captureOptimizerState, createOptimizer, disposeOptimizer, restoreOptimizerState, setLearningRate } from './optimizer.js';
import { globalRandomState, restoreGlobalRandom, SeededRandom, shuffled } from './random.js';
import { learningRateAt } from './schedule.js';
import { trainableVariables, trainStep, type StepContext } from './train-step.js';

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
  hooks?: Pick<TrainingRunHooks, 'signal' | 'onEpoch' | 'onBatch' | 'checkpoints' | 'checkpointRequested' | 'log'>;
  /** A decoded checkpoint of this same run to continue from. */
  resume?: TrainingCheckpoint | null;
}

export interface TrainerOutput {
  history: EpochMetrics[];
  stoppedEarly: boolean;
  /** Sum of the epochs' wall-clock seconds, across resumptions. */
  trainSeconds: number;
}

export async function trainModel(input: TrainerInput): Promise<TrainerOutput> {
  const { model, config, data, trainIndices, validationIndices, inputShape, classNames } = input;
  const hooks = input.hooks ?? {};
  const log = hooks.log ?? (() => undefined);
  if (trainIndices.length === 0) throw new CnnError('invalid_option', 'The training set is empty.');
  const stepsPerEpoch = Math.ceil(trainIndices.length / config.batchSize);
  const optimizer = createOptimizer(config);
  const { variables, decayed } = trainableVariables(model);
  const context: StepContext = { model, optimizer, variables, decayed, classes: classNames.length, config };
  const evaluated = mainOutputModel(model);

  let random = SeededRandom.fromSeed(config.seed);
  let history: EpochMetrics[] = [];
  let epoch = 0;
  let stepInEpoch = 0;
  let globalStep = 0;
  let resumedOrder: Int32Array | null = null;
  let resumedPartial: PartialEpoch | null = null;
  const resume = input.resume ?? null;
  if (resume) {
    assertCheckpointMatches(resume, { architecture: input.architecture, inputShape, classes: classNames.length, config });
    writeModelWeights(model, resume.weights);
    await restoreOptimizerState(optimizer, resume.optimizer);
    random = SeededRandom.fromState(resume.random);
    if (resume.globalRandom) restoreGlobalRandom(resume.globalRandom);
    history = resume.history.slice();
    ({ epoch, stepInEpoch, globalStep } = resume);
    resumedOrder = resume.epochOrder;
    resumedPartial = resume.partialEpoch;
    log('resuming from checkpoint', { epoch, stepInEpoch, globalStep });
  }

  const checkpoint = async (order: Int32Array | null, partial: PartialEpoch | null): Promise<void> => {
    if (!hooks.checkpoints) return;
    const state: TrainingCheckpoint = {
      architecture: input.architecture,
      inputShape,
      classes: classNames.length,
      config,
      normalization: input.normalization,
      epoch,
      stepInEpoch,
      globalStep,
      history,
      random: random.state(),
      globalRandom: globalRandomState(),
      epochOrder: order,
      partialEpoch: partial,
      weights: await readModelWeights(model),
      optimizer: await captureOptimizerState(optimizer),
    };
    await hooks.checkpoints.write(encodeCheckpoint(state), { epoch, step: stepInEpoch });
    log('checkpoint written', { epoch, step: stepInEpoch });
  };

  try {
    // -Infinity: the first batch always reports, however young the process (performance.now() starts at 0).
    let lastProgress = Number.NEGATIVE_INFINITY;
    while (epoch < config.epochs && !shouldStopEarly(history, config.earlyStopping)) {
      const order = resumedOrder ?? shuffled(trainIndices, random);
      const partial: PartialEpoch = resumedPartial ? { ...resumedPartial } : { lossSum: 0, correct: 0, seen: 0, trainSeconds: 0 };
      resumedOrder = null;
      resumedPartial = null;
      // Running sums stay on the device; reading them back every step would stall asynchronous engines.
      let lossSum: tf.Scalar = tf.scalar(partial.lossSum);
      let correct: tf.Scalar = tf.scalar(partial.correct);
      const epochStart = performance.now() - partial.trainSeconds * 1000;
      let learningRate = learningRateAt(config, globalStep, stepsPerEpoch);
      const readPartial = async (): Promise<PartialEpoch> => ({
        lossSum: (await lossSum.data())[0],
        correct: (await correct.data())[0],
        seen: partial.seen,
        trainSeconds: (performance.now() - epochStart) / 1000,
      });
      try {
        for (; stepInEpoch < stepsPerEpoch; stepInEpoch++) {
          // A batch boundary: let pending events (abort, checkpoint requests) in, then honour them.
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (hooks.checkpointRequested?.()) await checkpoint(order, await readPartial());
          if (hooks.signal?.aborted) throw new CnnError('aborted', 'Training was aborted.', { epoch, step: stepInEpoch });

          const indices = order.subarray(stepInEpoch * config.batchSize, (stepInEpoch + 1) * config.batchSize);
          const batch = data.read(indices);
          const pixels = isAugmenting(config.augmentation)
            ? augmentBatch(batch.x, batch.size, inputShape, config.augmentation, random)
            : batch.x;
          learningRate = learningRateAt(config, globalStep, stepsPerEpoch);
          setLearningRate(optimizer, learningRate);
          const x = tf.tensor4d(pixels, [batch.size, ...inputShape]);
          const labels = tf.tensor1d(batch.y, 'int32');
          const step = trainStep(context, x, labels);
          const nextLoss = tf.tidy(() => lossSum.add(step.loss.mul(batch.size)));
          const nextCorrect = tf.tidy(() => correct.add(step.correct));
          tf.dispose([x, labels, step.loss, step.correct, lossSum, correct]);
          lossSum = nextLoss as tf.Scalar;
          correct = nextCorrect as tf.Scalar;
          partial.seen += batch.size;
          globalStep += 1;

          const now = performance.now();
          const last = stepInEpoch === stepsPerEpoch - 1;
          if (hooks.onBatch && (last || now - lastProgress >= BATCH_PROGRESS_INTERVAL_MS)) {
            lastProgress = now;
            const current = await readPartial();
            hooks.onBatch({
              epoch: epoch + 1,
              step: stepInEpoch + 1,
              stepsPerEpoch,
              loss: current.lossSum / current.seen,
              accuracy: current.correct / current.seen,
              learningRate,
              imagesPerSecond: current.seen / Math.max(current.trainSeconds, 1e-9),
            });
          }
        }
        const totals = await readPartial();
        const validation = validationIndices
          ? await evaluateModel(evaluated, data, { classNames, batchSize: config.batchSize, indices: validationIndices })
          : null;
        const test = input.testEachEpoch ? await evaluateModel(evaluated, input.testEachEpoch, { classNames, batchSize: config.batchSize }) : null;
        const metrics: EpochMetrics = {
          epoch: epoch + 1,
          trainLoss: totals.lossSum / totals.seen,
          trainAccuracy: totals.correct / totals.seen,
          validationLoss: validation ? validation.loss : null,
          validationAccuracy: validation ? validation.top1 : null,
          ...(test ? { testLoss: test.loss, testAccuracy: test.top1 } : {}),
          learningRate,
          seconds: (performance.now() - epochStart) / 1000,
          imagesPerSecond: totals.seen / Math.max(totals.trainSeconds, 1e-9),
        };
        history = [...history, metrics];
        epoch += 1;
        stepInEpoch = 0;
        await checkpoint(null, null);
        log('epoch finished', { ...metrics });
        await hooks.onEpoch?.(metrics);
      } finally {
        tf.dispose([lossSum, correct]);
      }
    }
  } finally {
    disposeOptimizer(optimizer);
  }
  return {
    history,
    stoppedEarly: epoch < config.epochs,
    trainSeconds: history.reduce((sum, m) => sum + m.seconds, 0),
  };
}
