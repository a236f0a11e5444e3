import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpoint, encodeCheckpoint, type TrainingCheckpoint } from '../src/checkpoint/format.js';
import { initEngine } from '../src/engine/index.js';
import { isCnnError } from '../src/errors.js';
import { resolveTrainConfig, type PartialTrainConfig } from '../src/train/config.js';
import { seedGlobalRandom } from '../src/train/random.js';
import { trainModel, type TrainerInput } from '../src/train/trainer.js';
import type { InputShape } from '../src/types.js';
import { MemoryCheckpointStore, quadrantSplit, range, tinyModel, weightValues } from './train-fixtures.js';

const SHAPE: InputShape = [8, 8, 2];
const data = quadrantSplit(80, SHAPE, 4, 3);

before(async () => {
  const engine = await initEngine();
  // Exact equality is promised per engine; the test must run on the engine that trains.
  assert.notEqual(engine.name, 'cpu');
});

/** A fresh model built from the seed, as a new process resuming the run would build it. */
function freshRun(partial: PartialTrainConfig): { input: TrainerInput; model: tf.LayersModel } {
  const config = resolveTrainConfig({ epochs: 3, batchSize: 16, augmentation: { randomCropPadding: 1, horizontalFlip: true }, ...partial });
  seedGlobalRandom(config.seed);
  const { training } = tinyModel(SHAPE, 4, { aux: true });
  const input: TrainerInput = {
    architecture: 'tiny',
    model: training,
    inputShape: SHAPE,
    classNames: ['a', 'b', 'c', 'd'],
    config,
    normalization: { mean: [0.3, 0.4], std: [0.2, 0.25] },
    data,
    trainIndices: range(64),
    validationIndices: range(80).subarray(64),
  };
  return { input, model: training };
}

function sampleCheckpoint(): TrainingCheckpoint {
  return {
    architecture: 'tiny',
    inputShape: SHAPE,
    classes: 4,
    config: resolveTrainConfig({}),
    normalization: null,
    epoch: 1,
    stepInEpoch: 2,
    globalStep: 7,
    history: [],
    random: { c: 1, s0: 0.5, s1: 0.25, s2: 0.125 },
    globalRandom: null,
    epochOrder: Int32Array.from([3, 1, 2, 0]),
    partialEpoch: { lossSum: 1.5, correct: 3, seen: 8, trainSeconds: 0.1 },
    weights: [
      { name: 'a/kernel', shape: [2, 3], dtype: 'float32', data: Float32Array.from([1, -2, 3.5, 1e-30, -0, 7]) },
      { name: 'a/bias', shape: [3], dtype: 'float32', data: Float32Array.from([0.1, 0.2, 0.3]) },
    ],
    optimizer: { arrays: [{ name: 'iter', shape: [], dtype: 'int32', data: Int32Array.from([7]) }], adamBetaPowers: [0.5, 0.25] },
  };
}

describe('checkpoint bytes', () => {
  test('round-trip every field and array exactly', () => {
    const original = sampleCheckpoint();
    const decoded = decodeCheckpoint(encodeCheckpoint(original));
    assert.deepEqual(decoded, original);
  });

  test('corrupt, truncated, foreign or future bytes are rejected as checkpoint_invalid', () => {
    const bytes = encodeCheckpoint(sampleCheckpoint());
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)] ^= 0x01;
    const wrongMagic = bytes.slice();
    wrongMagic[0] = 0x00;
    const future = bytes.slice();
    new DataView(future.buffer).setUint32(8, 99, true);
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['flipped bit', flipped, /checksum/],
      ['truncated', bytes.subarray(0, bytes.length - 100), /checksum/],
      ['empty', new Uint8Array(0), /too short/],
      ['other file', new TextEncoder().encode('{"not":"a checkpoint"}'.repeat(4)), /magic/],
      ['bad magic', wrongMagic, /magic/],
      ['future version', future, /version 99/],
    ];
    for (const [name, input, message] of cases) {
      assert.throws(
        () => decodeCheckpoint(input),
        (e: unknown) => isCnnError(e, 'checkpoint_invalid') && message.test(e.message),
        name,
      );
    }
  });
});

describe('resuming', () => {
  for (const optimizer of [
    { optimizer: 'adam' },
    { optimizer: 'sgd', momentum: 0.9, nesterov: true, schedule: 'cosine', warmupEpochs: 1 },
    { optimizer: 'rmsprop', momentum: 0.5, weightDecay: 1e-3, gradientClipNorm: 0.5 },
  ] as PartialTrainConfig[]) {
    test(`${optimizer.optimizer}: resuming after epoch 2 gives the uninterrupted run's weights exactly`, async () => {
      const store = new MemoryCheckpointStore();
      const whole = freshRun(optimizer);
      const wholeResult = await trainModel({ ...whole.input, hooks: { checkpoints: store } });
      assert.deepEqual(
        store.written.map((c) => [c.epoch, c.step]),
        [
          [1, 0],
          [2, 0],
          [3, 0],
        ],
      );
      const expected = weightValues(whole.model);
      whole.model.dispose();

      const resumed = freshRun(optimizer);
      const afterEpoch2 = decodeCheckpoint(store.written[1].bytes);
      assert.equal(afterEpoch2.epoch, 2);
      assert.equal(afterEpoch2.history.length, 2);
      const resumedResult = await trainModel({ ...resumed.input, resume: afterEpoch2 });
      assert.deepEqual(weightValues(resumed.model), expected);
      assert.deepEqual(
        resumedResult.history.map((m) => [m.trainLoss, m.trainAccuracy, m.validationLoss]),
        wholeResult.history.map((m) => [m.trainLoss, m.trainAccuracy, m.validationLoss]),
      );
      resumed.model.dispose();
    });
  }

  test('a mid-epoch checkpoint requested with an abort resumes to the same weights', async () => {
    const whole = freshRun({});
    const expectedHistory = (await trainModel(whole.input)).history;
    const expected = weightValues(whole.model);
    whole.model.dispose();

    const store = new MemoryCheckpointStore();
    const interrupted = freshRun({});
    const controller = new AbortController();
    let boundaries = 0;
    await assert.rejects(
      trainModel({
        ...interrupted.input,
        hooks: {
          checkpoints: store,
          signal: controller.signal,
          // 64 images in batches of 16: 4 boundaries per epoch, so boundary 7 is before epoch 2's third
          // batch. Like a worker's SIGTERM: ask for a checkpoint there and stop.
          checkpointRequested: () => {
            boundaries += 1;
            if (boundaries !== 7) return false;
            controller.abort();
            return true;
          },
        },
      }),
      (e: unknown) => isCnnError(e, 'aborted'),
    );
    interrupted.model.dispose();
    assert.deepEqual(
      store.written.map((c) => [c.epoch, c.step]),
      [
        [1, 0],
        [1, 2],
      ],
    );

    const resumed = freshRun({});
    const result = await trainModel({ ...resumed.input, resume: decodeCheckpoint(store.written[1].bytes) });
    assert.deepEqual(weightValues(resumed.model), expected);
    assert.deepEqual(
      result.history.map((m) => m.trainLoss),
      expectedHistory.map((m) => m.trainLoss),
    );
    resumed.model.dispose();
  });

  test('a checkpoint of another configuration or architecture is refused', async () => {
    const store = new MemoryCheckpointStore();
    const first = freshRun({ epochs: 1 });
    await trainModel({ ...first.input, hooks: { checkpoints: store } });
    first.model.dispose();
    const checkpoint = decodeCheckpoint(store.written[0].bytes);
    const other = freshRun({ epochs: 1, learningRate: 0.01 });
    await assert.rejects(
      trainModel({ ...other.input, resume: checkpoint }),
      (e: unknown) => isCnnError(e, 'checkpoint_invalid') && /learningRate/.test(e.message),
    );
    await assert.rejects(trainModel({ ...freshRun({ epochs: 1 }).input, architecture: 'lenet5', resume: checkpoint }), (e: unknown) =>
      isCnnError(e, 'checkpoint_invalid'),
    );
    other.model.dispose();
  });
});
