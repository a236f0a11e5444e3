import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpoint } from '../src/checkpoint/format.js';
import { initEngine } from '../src/engine/index.js';
import { isCnnError } from '../src/errors.js';
import { buildModel, disposeBuiltModel } from '../src/models/index.js';
import { resolveTrainConfig, type PartialTrainConfig } from '../src/train/config.js';
import { layersToFreeze } from '../src/train/freeze.js';
import { imagenetNormalization } from '../src/train/normalization.js';
import { seedGlobalRandom } from '../src/train/random.js';
import { bestEpoch } from '../src/train/restore-best.js';
import { trainModel, type TrainerInput } from '../src/train/trainer.js';
import type { InputShape } from '../src/types.js';
import { MemoryCheckpointStore, quadrantSplit, range, tinyModel } from './train-fixtures.js';

const SHAPE: InputShape = [8, 8, 2];
const data = quadrantSplit(80, SHAPE, 4, 5);
const FROZEN = ['tiny_conv', 'tiny_bn'];

before(async () => {
  const engine = await initEngine();
  assert.notEqual(engine.name, 'cpu');
});

function freshRun(partial: PartialTrainConfig, frozenLayers: string[] = FROZEN): { input: TrainerInput; model: tf.LayersModel } {
  const config = resolveTrainConfig({ epochs: 3, batchSize: 16, weightDecay: 1e-2, validationSplit: 0.2, ...partial });
  seedGlobalRandom(config.seed);
  const { training } = tinyModel(SHAPE, 4, { aux: true });
  return {
    model: training,
    input: {
      architecture: 'tiny',
      model: training,
      inputShape: SHAPE,
      classNames: ['a', 'b', 'c', 'd'],
      config,
      normalization: null,
      data,
      trainIndices: range(64),
      validationIndices: range(80).subarray(64),
      frozenLayers,
    },
  };
}

/** Every weight by name (batch-norm moving statistics included), as plain arrays. */
function weightsByName(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
}

function frozenNames(names: Iterable<string>): string[] {
  return [...names].filter((name) => FROZEN.some((layer) => name.startsWith(`${layer}/`)));
}

describe('freezing layers', () => {
  test('frozen tensors, batch-norm statistics included, come out bit-identical; the rest trains', async () => {
    for (const optimizer of ['adam', 'sgd'] as const) {
      const run = freshRun({ optimizer, momentum: 0.9 });
      const before = weightsByName(run.model);
      await trainModel(run.input);
      const after = weightsByName(run.model);
      const frozen = frozenNames(before.keys());
      assert.deepEqual(frozen.sort(), [
        'tiny_bn/beta',
        'tiny_bn/gamma',
        'tiny_bn/moving_mean',
        'tiny_bn/moving_variance',
        'tiny_conv/bias',
        'tiny_conv/kernel',
      ]);
      for (const name of frozen) assert.deepEqual(after.get(name), before.get(name), `${optimizer}: ${name} moved`);
      assert.notDeepEqual(after.get('tiny_fc/kernel'), before.get('tiny_fc/kernel'), 'the head trains');
      // Training leaves no trace of the freeze on the model that gets exported.
      assert.ok(run.model.layers.every((layer) => layer.trainable || layer.name.endsWith('input')));
      run.model.dispose();
    }
  });

  test('unfreezeAtEpoch trains the frozen layers from that epoch on', async () => {
    const store = new MemoryCheckpointStore();
    const run = freshRun({ unfreezeAtEpoch: 2 });
    const before = weightsByName(run.model);
    await trainModel({ ...run.input, hooks: { checkpoints: store } });
    const afterEpoch1 = new Map(decodeCheckpoint(store.written[0].bytes).weights.map((w) => [w.name, w.data]));
    for (const name of frozenNames(before.keys())) assert.deepEqual(afterEpoch1.get(name), before.get(name), `${name} moved in epoch 1`);
    const after = weightsByName(run.model);
    for (const name of ['tiny_conv/kernel', 'tiny_bn/gamma', 'tiny_bn/moving_mean']) {
      assert.notDeepEqual(after.get(name), before.get(name), `${name} trains once unfrozen`);
    }
    run.model.dispose();
  });

  test("a run resumed on either side of the unfreeze epoch ends with the uninterrupted run's weights exactly", async () => {
    for (const optimizer of [{ optimizer: 'adam' }, { optimizer: 'sgd', momentum: 0.9, nesterov: true }] as PartialTrainConfig[]) {
      const store = new MemoryCheckpointStore();
      const whole = freshRun({ ...optimizer, unfreezeAtEpoch: 2 });
      const wholeResult = await trainModel({ ...whole.input, hooks: { checkpoints: store } });
      const expected = weightsByName(whole.model);
      whole.model.dispose();
      for (const index of [0, 1]) {
        const resumed = freshRun({ ...optimizer, unfreezeAtEpoch: 2 });
        const result = await trainModel({ ...resumed.input, resume: decodeCheckpoint(store.written[index].bytes) });
        assert.deepEqual(weightsByName(resumed.model), expected, `${optimizer.optimizer}, resumed after epoch ${index + 1}`);
        assert.deepEqual(
          result.history.map((m) => m.trainLoss),
          wholeResult.history.map((m) => m.trainLoss),
        );
        resumed.model.dispose();
      }
    }
  });

  test('a mid-epoch checkpoint inside the unfreeze epoch resumes to the same weights', async () => {
    const whole = freshRun({ unfreezeAtEpoch: 2 });
    await trainModel(whole.input);
    const expected = weightsByName(whole.model);
    whole.model.dispose();
    const store = new MemoryCheckpointStore();
    const interrupted = freshRun({ unfreezeAtEpoch: 2 });
    const controller = new AbortController();
    let boundaries = 0;
    await assert.rejects(
      trainModel({
        ...interrupted.input,
        hooks: {
          checkpoints: store,
          signal: controller.signal,
          checkpointRequested: () => {
            boundaries += 1; // 4 batches an epoch: boundary 6 is epoch 2's second batch
            if (boundaries !== 6) return false;
            controller.abort();
            return true;
          },
        },
      }),
      (e: unknown) => isCnnError(e, 'aborted'),
    );
    interrupted.model.dispose();
    const resumed = freshRun({ unfreezeAtEpoch: 2 });
    await trainModel({ ...resumed.input, resume: decodeCheckpoint(store.written.at(-1)!.bytes) });
    assert.deepEqual(weightsByName(resumed.model), expected);
    resumed.model.dispose();
  });

  test('"backbone" freezes everything but the classifier and the auxiliary heads; prefixes are checked', () => {
    seedGlobalRandom(1);
    const lenet = buildModel('lenet5', { inputShape: [32, 32, 3], classes: 10 });
    const googlenet = buildModel('googlenet', { inputShape: [64, 64, 3], classes: 5 });
    try {
      assert.deepEqual(layersToFreeze(lenet.training, 'lenet5', 'backbone'), ['cn1', 'cn2']);
      assert.deepEqual(layersToFreeze(lenet.training, 'lenet5', 'none'), []);
      assert.deepEqual(layersToFreeze(lenet.training, 'lenet5', ['cn']), ['cn1', 'cn2']);
      const frozen = layersToFreeze(googlenet.training, 'googlenet', 'backbone');
      const training = googlenet.training.layers
        .filter((l) => l.trainableWeights.length > 0)
        .map((l) => l.name)
        .filter((n) => !frozen.includes(n));
      assert.deepEqual(training.sort(), [
        'aux1.conv.bn',
        'aux1.conv.conv',
        'aux1.fc1',
        'aux1.fc2',
        'aux2.conv.bn',
        'aux2.conv.conv',
        'aux2.fc1',
        'aux2.fc2',
        'fc',
      ]);
      assert.throws(
        () => layersToFreeze(lenet.training, 'lenet5', ['conv']),
        (e: unknown) => isCnnError(e, 'invalid_option') && /"conv"/.test(e.message),
      );
      assert.throws(
        () => layersToFreeze(lenet.training, 'lenet5', ['cn', 'fc']),
        (e: unknown) => isCnnError(e, 'invalid_option') && /nothing would train/.test(e.message),
      );
    } finally {
      disposeBuiltModel(lenet);
      disposeBuiltModel(googlenet);
    }
  });
});

describe('restoreBestWeights', () => {
  // A rate high enough that validation loss goes up again within four epochs.
  const noisy: PartialTrainConfig = { epochs: 4, optimizer: 'sgd', momentum: 0.9, learningRate: 0.8, restoreBestWeights: true };

  test("the model ends with the best epoch's weights, read from the store or kept in memory alike", async () => {
    const store = new MemoryCheckpointStore();
    const fromStore = freshRun(noisy, []);
    const result = await trainModel({ ...fromStore.input, hooks: { checkpoints: store } });
    const best = bestEpoch(result.history)!;
    assert.notEqual(best, result.history.length, 'the test needs a best epoch before the last one');
    assert.equal(result.weightsEpoch, best);
    const checkpointed = decodeCheckpoint(store.written.find((c) => c.epoch === best)!.bytes).weights;
    assert.deepEqual(weightsByName(fromStore.model), new Map(checkpointed.map((w) => [w.name, w.data])));

    const inMemory = freshRun(noisy, []);
    const second = await trainModel(inMemory.input);
    assert.equal(second.weightsEpoch, best);
    assert.deepEqual(weightsByName(inMemory.model), weightsByName(fromStore.model));
    fromStore.model.dispose();
    inMemory.model.dispose();
  });

  test('needs a validation split', () => {
    assert.throws(
      () => resolveTrainConfig({ restoreBestWeights: true }),
      (e: unknown) => isCnnError(e, 'invalid_option') && /validationSplit/.test(e.message),
    );
  });
});

describe('normalize', () => {
  test('true and false stay accepted as dataset and none; other values are refused', () => {
    assert.equal(resolveTrainConfig({ normalize: true as never }).normalize, 'dataset');
    assert.equal(resolveTrainConfig({ normalize: false as never }).normalize, 'none');
    assert.equal(resolveTrainConfig({}).normalize, 'none');
    assert.throws(
      () => resolveTrainConfig({ normalize: 'mean' as never }),
      /normalize must be one of none, dataset, imagenet, true \(dataset\), false \(none\)/,
    );
  });

  test("imagenet: torchvision's statistics, and transform_input's for GoogLeNet and Inception v3", () => {
    assert.deepEqual(imagenetNormalization('resnet18', [64, 64, 3]), { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    for (const architecture of ['googlenet', 'inception_v3']) {
      assert.deepEqual(imagenetNormalization(architecture, [299, 299, 3]), { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    }
    assert.throws(
      () => imagenetNormalization('resnet18', [28, 28, 1]),
      (e: unknown) => isCnnError(e, 'invalid_option') && /channels/.test(e.message),
    );
  });
});
