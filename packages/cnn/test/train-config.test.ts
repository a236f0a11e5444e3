import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCnnError } from '../src/errors.js';
import { defaultTrainConfig, resolveTrainConfig } from '../src/train/config.js';
import { HYPERPARAMETERS, trainConfigJsonSchema } from '@trainyard/contracts';
import { learningRateAt } from '../src/train/schedule.js';
import { augmentBatch } from '../src/train/augment.js';
import { SeededRandom, shuffled } from '../src/train/random.js';

describe('training configuration', () => {
  test("defaults are the reference script's recipe", () => {
    assert.deepEqual(defaultTrainConfig(), {
      epochs: 5,
      batchSize: 64,
      optimizer: 'adam',
      learningRate: 1e-3,
      momentum: 0.9,
      nesterov: false,
      weightDecay: 0,
      schedule: 'constant',
      stepSize: 30,
      stepGamma: 0.1,
      warmupEpochs: 0,
      gradientClipNorm: 0,
      labelSmoothing: 0,
      auxLossWeight: 0.3,
      validationSplit: 0,
      earlyStopping: null,
      augmentation: { randomCropPadding: 0, horizontalFlip: false },
      normalize: 'none',
      unfreezeAtEpoch: null,
      restoreBestWeights: false,
      seed: 55,
    });
    assert.deepEqual(resolveTrainConfig({}), defaultTrainConfig());
    // A fresh object each time: callers may mutate theirs.
    defaultTrainConfig().augmentation.horizontalFlip = true;
    assert.equal(defaultTrainConfig().augmentation.horizontalFlip, false);
  });

  test('partial nested objects are completed from the defaults', () => {
    const config = resolveTrainConfig({ augmentation: { horizontalFlip: true }, earlyStopping: { patience: 3 }, validationSplit: 0.1 });
    assert.deepEqual(config.augmentation, { randomCropPadding: 0, horizontalFlip: true });
    assert.deepEqual(config.earlyStopping, { patience: 3, minDelta: 0 });
  });

  test('every bad value is an invalid_option naming the field and the allowed range', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ epochs: 0 }, /^epochs must be an integer >= 1 and <= 10000; got 0\.$/],
      [{ epochs: 2.5 }, /^epochs must be an integer/],
      [{ epochs: '5' }, /^epochs must be an integer.*got "5"/],
      [{ batchSize: 5000 }, /^batchSize must be an integer >= 1 and <= 4096/],
      [{ optimizer: 'adagrad' }, /^optimizer must be one of sgd, adam, rmsprop; got "adagrad"/],
      [{ learningRate: 0 }, /^learningRate must be a number > 0 and <= 10/],
      [{ learningRate: Number.NaN }, /^learningRate must be a number/],
      [{ momentum: 1 }, /^momentum must be a number >= 0 and < 1/],
      [{ nesterov: 'yes' }, /^nesterov must be true or false/],
      [{ weightDecay: -1 }, /^weightDecay must be a number >= 0/],
      [{ schedule: 'linear' }, /^schedule must be one of constant, step, cosine/],
      [{ stepSize: 0 }, /^stepSize must be an integer >= 1/],
      [{ stepGamma: 0 }, /^stepGamma must be a number > 0 and <= 1/],
      [{ warmupEpochs: -1 }, /^warmupEpochs must be an integer >= 0/],
      [{ gradientClipNorm: -0.5 }, /^gradientClipNorm must be a number >= 0/],
      [{ labelSmoothing: 1 }, /^labelSmoothing must be a number >= 0 and < 1/],
      [{ auxLossWeight: 2 }, /^auxLossWeight must be a number >= 0 and <= 1/],
      [{ validationSplit: 0.9 }, /^validationSplit must be a number >= 0 and <= 0.5/],
      [{ earlyStopping: 3 }, /^earlyStopping must be an object or null/],
      [{ earlyStopping: { patience: 0 }, validationSplit: 0.1 }, /^earlyStopping\.patience must be an integer >= 1/],
      [{ augmentation: null }, /^augmentation must be an object/],
      [{ augmentation: { randomCropPadding: 100 } }, /^augmentation\.randomCropPadding must be an integer >= 0 and <= 64/],
      [{ augmentation: { flip: true } }, /^Unknown training option "augmentation\.flip"/],
      [{ normalize: 1 }, /^normalize must be one of none, dataset, imagenet, true \(dataset\), false \(none\); got 1/],
      [{ unfreezeAtEpoch: 0 }, /^unfreezeAtEpoch must be an integer >= 1/],
      [{ unfreezeAtEpoch: 6, epochs: 5 }, /unfreezeAtEpoch must be at most epochs/],
      [{ restoreBestWeights: true }, /restoreBestWeights requires validationSplit > 0/],
      [{ seed: -1 }, /^seed must be an integer >= 0 and <= 4294967295/],
      [{ learningrate: 0.1 }, /^Unknown training option "learningrate"/],
      [{ nesterov: true, optimizer: 'adam' }, /nesterov requires optimizer "sgd"/],
      [{ nesterov: true, optimizer: 'sgd', momentum: 0 }, /nesterov requires .* momentum > 0/],
      [{ warmupEpochs: 5, epochs: 5 }, /warmupEpochs must be less than epochs/],
      [{ earlyStopping: { patience: 2 } }, /earlyStopping requires validationSplit > 0/],
    ];
    for (const [partial, message] of cases) {
      assert.throws(
        () => resolveTrainConfig(partial),
        (e: unknown) => isCnnError(e, 'invalid_option') && message.test(e.message),
        `${JSON.stringify(partial)} should fail with ${message}`,
      );
    }
    assert.throws(
      () => resolveTrainConfig([] as never),
      (e: unknown) => isCnnError(e, 'invalid_option'),
    );
  });

  test('the hyperparameter table covers every field and its defaults pass validation', () => {
    assert.deepEqual(HYPERPARAMETERS.map((h) => h.name).sort(), Object.keys(defaultTrainConfig()).sort());
    for (const spec of HYPERPARAMETERS) {
      assert.ok(spec.description.length > 10, `${spec.name} is described`);
      if (spec.type === 'string') assert.ok(spec.enum?.includes(spec.default as string), spec.name);
    }
    const schema = trainConfigJsonSchema() as { properties: Record<string, Record<string, unknown>> };
    assert.deepEqual(schema.properties.optimizer.enum, ['sgd', 'adam', 'rmsprop']);
    assert.deepEqual(schema.properties.earlyStopping.type, ['object', 'null']);
    assert.equal((schema.properties.augmentation.properties as Record<string, Record<string, unknown>>).randomCropPadding.maximum, 64);
  });

  test('config.ts does not import TensorFlow.js (it validates with the contracts table only)', () => {
    const source = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'train', 'config.js'), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    assert.ok(
      imports.every((i) => ['@trainyard/contracts', '../errors.js'].includes(i!)),
      `config.js imports ${imports}`,
    );
  });
});

describe('learning-rate schedules', () => {
  const base = { ...defaultTrainConfig(), learningRate: 0.1, epochs: 10 };

  test("cosine follows torch's CosineAnnealingLR over epochs * steps, per step", () => {
    const config = { ...base, schedule: 'cosine' as const };
    const steps = 10 * 7;
    assert.equal(learningRateAt(config, 0, 7), 0.1);
    for (const step of [1, 17, 35, 69]) {
      assert.ok(Math.abs(learningRateAt(config, step, 7) - 0.05 * (1 + Math.cos((Math.PI * step) / steps))) < 1e-15);
    }
    assert.ok(Math.abs(learningRateAt(config, 35, 7) - 0.05) < 1e-15);
  });

  test('step multiplies by gamma every stepSize epochs; constant stays', () => {
    const config = { ...base, schedule: 'step' as const, stepSize: 3, stepGamma: 0.5 };
    const byEpoch = Array.from({ length: 10 }, (_, e) => learningRateAt(config, e * 4 + 3, 4));
    assert.deepEqual(byEpoch, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]);
    assert.equal(learningRateAt(base, 39, 4), 0.1);
  });

  test('linear warm-up per step, then the cosine over the remaining steps', () => {
    const config = { ...base, schedule: 'cosine' as const, warmupEpochs: 2 };
    assert.deepEqual(
      [0, 1, 7].map((s) => learningRateAt(config, s, 4)),
      [0.1 / 8, 0.2 / 8, 0.1],
    );
    assert.equal(learningRateAt(config, 8, 4), 0.1);
    assert.ok(Math.abs(learningRateAt(config, 8 + 16, 4) - 0.05) < 1e-15);
  });
});

describe('augmentation and shuffling', () => {
  test('a flip mirrors rows, a crop shifts with zero padding', () => {
    // One 2x3 single-channel image: [[1,2,3],[4,5,6]].
    const image = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const seen = new Set<string>();
    const random = SeededRandom.fromSeed(1);
    for (let i = 0; i < 200; i++)
      seen.add(Array.from(augmentBatch(image, 1, [2, 3, 1], { randomCropPadding: 1, horizontalFlip: true }, random)).join(','));
    assert.ok(seen.has('3,2,1,6,5,4'), 'flip only');
    assert.ok(seen.has('0,1,2,0,4,5'), 'shift right by one');
    assert.ok(seen.has('5,6,0,0,0,0'), 'shift up and left by one');
    assert.ok(seen.has('1,2,3,4,5,6'), 'identity');
    // 3 x 3 offsets times 2 flips.
    assert.equal(seen.size, 18);
    const flipOnly = augmentBatch(image, 1, [2, 3, 1], { randomCropPadding: 0, horizontalFlip: false }, random);
    assert.deepEqual(flipOnly, image);
  });

  test('the generator resumes from its saved state', () => {
    const a = SeededRandom.fromSeed(9);
    shuffled([1, 2, 3, 4, 5], a);
    const b = SeededRandom.fromState(JSON.parse(JSON.stringify(a.state())));
    assert.deepEqual(
      shuffled(
        Int32Array.from({ length: 50 }, (_, i) => i),
        a,
      ),
      shuffled(
        Int32Array.from({ length: 50 }, (_, i) => i),
        b,
      ),
    );
  });
});
