import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/index.js';
import { isCnnError } from '../src/errors.js';
import { resolveTrainConfig, type PartialTrainConfig } from '../src/train/config.js';
import { seedGlobalRandom } from '../src/train/random.js';
import { trainModel } from '../src/train/trainer.js';
import type { BatchProgress, EpochMetrics, InputShape } from '../src/types.js';
import { quadrantSplit, range, tinyModel, weightValues } from './train-fixtures.js';

const SHAPE: InputShape = [8, 8, 2];
const CLASSES = 4;
const data = quadrantSplit(96, SHAPE, CLASSES, 1);
const classNames = ['a', 'b', 'c', 'd'];

before(async () => {
  await initEngine();
});

function setup(partial: PartialTrainConfig, options: { aux?: boolean; validation?: boolean } = {}) {
  const config = resolveTrainConfig({ epochs: 3, batchSize: 16, ...partial });
  seedGlobalRandom(config.seed);
  const model = tinyModel(SHAPE, CLASSES, { aux: options.aux });
  const indices = range(data.size);
  return {
    model,
    input: {
      architecture: 'tiny',
      model: model.training,
      inputShape: SHAPE,
      classNames,
      config,
      normalization: null,
      data,
      trainIndices: options.validation ? indices.subarray(0, 72) : indices,
      validationIndices: options.validation ? indices.subarray(72) : null,
    },
  };
}

describe('trainModel', () => {
  test('runs on a training engine, not the stock cpu backend', () => {
    assert.notEqual(tf.getBackend(), 'cpu');
  });

  test('loss decreases and accuracy rises on a learnable task', async () => {
    const { model, input } = setup({ epochs: 6, learningRate: 0.01 });
    const { history } = await trainModel(input);
    assert.equal(history.length, 6);
    assert.ok(history[5].trainLoss < history[0].trainLoss * 0.7, `loss ${history.map((m) => m.trainLoss)}`);
    assert.ok(history[5].trainAccuracy > 0.6, `accuracy ${history.map((m) => m.trainAccuracy)}`);
    model.training.dispose();
  });

  test('no tensor leaks: tf.memory().numTensors is the same after every epoch', async () => {
    const { model, input } = setup(
      {
        epochs: 4,
        optimizer: 'sgd',
        momentum: 0.9,
        nesterov: true,
        weightDecay: 1e-4,
        gradientClipNorm: 1,
        labelSmoothing: 0.1,
        schedule: 'cosine',
        warmupEpochs: 1,
        augmentation: { randomCropPadding: 1, horizontalFlip: true },
        validationSplit: 0.25,
      },
      { aux: true, validation: true },
    );
    const counts: number[] = [];
    const beforeTraining = tf.memory().numTensors;
    await trainModel({ ...input, hooks: { onEpoch: () => void counts.push(tf.memory().numTensors), onBatch: () => undefined } });
    assert.equal(counts.length, 4);
    assert.deepEqual(counts, new Array(4).fill(counts[0]), `numTensors per epoch: ${counts}`);
    assert.equal(tf.memory().numTensors, beforeTraining, 'the optimizer releases its state when training ends');
    const before = tf.memory().numTensors;
    model.training.dispose();
    assert.ok(tf.memory().numTensors < before);
  });

  test('same seed, same engine: same metrics and weights; another seed differs', async () => {
    const partial: PartialTrainConfig = { epochs: 2, augmentation: { randomCropPadding: 1, horizontalFlip: true }, seed: 7 };
    const runs = [];
    for (const seed of [7, 7, 8]) {
      const { model, input } = setup({ ...partial, seed });
      const { history } = await trainModel(input);
      runs.push({ losses: history.map((m) => [m.trainLoss, m.trainAccuracy]), weights: weightValues(model.training) });
      model.training.dispose();
    }
    assert.deepEqual(runs[0].losses, runs[1].losses);
    assert.deepEqual(runs[0].weights, runs[1].weights);
    assert.notDeepEqual(runs[0].losses, runs[2].losses);
  });

  test('onEpoch gets every epoch in order; onBatch is throttled but always sees the last batch', async () => {
    const { model, input } = setup({ epochs: 2 });
    const epochs: EpochMetrics[] = [];
    const batches: BatchProgress[] = [];
    await trainModel({ ...input, hooks: { onEpoch: (m) => void epochs.push(m), onBatch: (p) => void batches.push(p) } });
    assert.deepEqual(
      epochs.map((m) => m.epoch),
      [1, 2],
    );
    for (const m of epochs) {
      assert.ok(m.imagesPerSecond > 0 && m.seconds > 0 && m.learningRate === 1e-3);
      assert.equal(m.validationLoss, null);
    }
    // 96 images / 16 = 6 steps per epoch; the fast tiny model finishes within the 500 ms throttle.
    const lasts = batches.filter((b) => b.step === b.stepsPerEpoch);
    assert.deepEqual(
      lasts.map((b) => b.epoch),
      [1, 2],
    );
    assert.ok(batches.length < 12, `${batches.length} batch reports for 12 steps`);
    assert.ok(lasts.every((b) => b.stepsPerEpoch === 6 && b.loss > 0 && b.accuracy >= 0 && b.accuracy <= 1));
    model.training.dispose();
  });

  test('an AbortSignal stops at the next batch boundary with CnnError aborted', async () => {
    const { model, input } = setup({ epochs: 3 });
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(
      trainModel({
        ...input,
        hooks: {
          signal: controller.signal,
          onBatch: (p) => {
            seen = p.step;
            if (p.epoch === 1) controller.abort();
          },
        },
      }),
      (error: unknown) => isCnnError(error, 'aborted') && (error.details?.epoch as number) === 0,
    );
    assert.equal(seen, 1);
    model.training.dispose();
  });

  test('early stopping on validation loss stops before the last epoch', async () => {
    const { model, input } = setup(
      { epochs: 12, validationSplit: 0.25, earlyStopping: { patience: 1, minDelta: 10 } },
      { validation: true },
    );
    const result = await trainModel(input);
    assert.equal(result.stoppedEarly, true);
    // minDelta 10 means no epoch after the first can improve: stop after patience + 1 epochs.
    assert.equal(result.history.length, 2);
    assert.ok(result.history.every((m) => m.validationLoss !== null && m.validationAccuracy !== null));
    model.training.dispose();
  });

  test('gradient clipping bounds the size of an SGD update', async () => {
    const { model, input } = setup({ epochs: 1, batchSize: 96, optimizer: 'sgd', momentum: 0, learningRate: 1, gradientClipNorm: 0.01 });
    const before = weightValues(model.training);
    await trainModel(input);
    const after = weightValues(model.training);
    const trainable = new Set(model.training.trainableWeights.map((w) => w.originalName));
    let squared = 0;
    model.training.weights.forEach((w, i) => {
      if (!trainable.has(w.originalName)) return;
      for (let j = 0; j < before[i].length; j++) squared += (after[i][j] - before[i][j]) ** 2;
    });
    const norm = Math.sqrt(squared);
    assert.ok(norm > 0.009 && norm <= 0.01 + 1e-5, `update norm ${norm}`);
    model.training.dispose();
  });

  test('weight decay adds weightDecay * w to kernel gradients only', async () => {
    const step = async (weightDecay: number) => {
      const { model, input } = setup({ epochs: 1, batchSize: 96, optimizer: 'sgd', momentum: 0, learningRate: 0.1, weightDecay });
      const initial = weightValues(model.training);
      await trainModel(input);
      const names = model.training.weights.map((w) => w.originalName);
      const values = weightValues(model.training);
      model.training.dispose();
      return { names, initial, values };
    };
    const plain = await step(0);
    const decayed = await step(0.5);
    plain.names.forEach((name, i) => {
      const difference = decayed.values[i].map((v, j) => v - plain.values[i][j]);
      if (name.endsWith('/kernel')) {
        // One SGD step: w - lr (g + wd w) versus w - lr g, so the difference is -lr * wd * w0.
        difference.forEach((d, j) => assert.ok(Math.abs(d + 0.1 * 0.5 * plain.initial[i][j]) < 1e-5, `${name}[${j}]`));
      } else {
        // Biases start at 0 but batch-norm gamma starts at 1: a decayed gamma would show here.
        difference.forEach((d) => assert.equal(d, 0, name));
      }
    });
  });

  test('an auxiliary head adds weighted loss: weight 0 trains the aux head not at all', async () => {
    const { model, input } = setup({ epochs: 1, auxLossWeight: 0, optimizer: 'sgd', momentum: 0 }, { aux: true });
    const auxBefore = model.training
      .getLayer('tiny_aux_fc')
      .getWeights()
      .map((w) => w.dataSync().slice());
    await trainModel(input);
    const auxAfter = model.training
      .getLayer('tiny_aux_fc')
      .getWeights()
      .map((w) => w.dataSync().slice());
    assert.deepEqual(auxAfter, auxBefore);
    model.training.dispose();

    const weighted = setup({ epochs: 1, auxLossWeight: 0.3, optimizer: 'sgd', momentum: 0 }, { aux: true });
    const before = weighted.model.training.getLayer('tiny_aux_fc').getWeights()[0].dataSync().slice();
    await trainModel(weighted.input);
    assert.notDeepEqual(weighted.model.training.getLayer('tiny_aux_fc').getWeights()[0].dataSync().slice(), before);
    weighted.model.training.dispose();
  });
});
