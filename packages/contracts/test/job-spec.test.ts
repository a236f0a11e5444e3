import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import {
  buildJobSpecSchema,
  HYPERPARAMETER_RULES,
  HYPERPARAMETERS,
  hyperparameterProblems,
  resolveJobSpec,
  type JobSpec,
} from '../src/index.js';

const validate = new Ajv({ strict: false, allErrors: true, coerceTypes: false, removeAdditional: false }).compile(
  buildJobSpecSchema({ maxEpochs: 50, maxBatchSize: 256, maxRuntimeSeconds: 3600 }),
);
const base: JobSpec = { model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' } };

test('the schema accepts a minimal spec and every documented field', () => {
  assert.ok(validate(base), JSON.stringify(validate.errors));
  const full = {
    ...base,
    name: 'n',
    model: { architecture: 'vgg11', options: { dropout: 0.2, smallInput: true } },
    dataset: { id: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f' },
    hyperparameters: {
      epochs: 50,
      batchSize: 256,
      optimizer: 'sgd',
      nesterov: true,
      earlyStopping: { patience: 2 },
      augmentation: { horizontalFlip: true },
    },
    maxRuntimeSeconds: 3600,
    fineTuneFrom: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f',
  };
  assert.ok(validate(full), JSON.stringify(validate.errors));
  const transfer = {
    model: { architecture: 'resnet18', pretrained: { weightsId: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f' }, freeze: 'backbone' },
    dataset: { builtin: 'fashion-mnist', imageSize: [64, 64], channels: 3, testFraction: 0.1 },
    hyperparameters: { normalize: 'imagenet', unfreezeAtEpoch: 2, restoreBestWeights: true, validationSplit: 0.1 },
  };
  assert.ok(validate(transfer), JSON.stringify(validate.errors));
  assert.ok(
    validate({
      ...transfer,
      model: { architecture: 'resnet18', pretrained: { jobId: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f' }, freeze: ['layer1', 'conv1'] },
    }),
  );
  assert.ok(validate({ ...base, hyperparameters: { normalize: true } }));
  for (const bad of [
    { ...transfer, model: { architecture: 'resnet18', freeze: 'all' } },
    { ...transfer, model: { architecture: 'resnet18', freeze: [] } },
    { ...transfer, model: { architecture: 'resnet18', pretrained: { weightsId: 'x' } } },
    {
      ...transfer,
      model: {
        architecture: 'resnet18',
        pretrained: { weightsId: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f', jobId: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f' },
      },
    },
    { ...transfer, dataset: { builtin: 'fashion-mnist', channels: 2 } },
    { ...transfer, dataset: { builtin: 'fashion-mnist', imageSize: [64] } },
    { ...transfer, dataset: { builtin: 'fashion-mnist', testFraction: 1 } },
    { ...base, hyperparameters: { normalize: 'mean' } },
    { ...base, hyperparameters: { unfreezeAtEpoch: 0 } },
  ]) {
    assert.equal(validate(bad), false, JSON.stringify(bad));
  }
});

test('the schema refuses unknown fields, wrong types and values over the configured limits', () => {
  for (const bad of [
    { ...base, extra: 1 },
    { ...base, hyperparameters: { epochs: '4' } },
    { ...base, hyperparameters: { epochs: 51 } },
    { ...base, hyperparameters: { batchSize: 257 } },
    { ...base, hyperparameters: { augmentation: { flip: true } } },
    { ...base, maxRuntimeSeconds: 3601 },
    { ...base, dataset: { id: 'not-a-uuid' } },
    { ...base, model: { architecture: 'lenet5', options: { dropout: 1 } } },
  ]) {
    assert.equal(validate(bad), false, JSON.stringify(bad));
  }
});

test('every hyperparameter of the table is in the schema', () => {
  const schema = buildJobSpecSchema() as { properties: { hyperparameters: { properties: Record<string, unknown> } } };
  assert.deepEqual(Object.keys(schema.properties.hyperparameters.properties).sort(), HYPERPARAMETERS.map((h) => h.name).sort());
});

test('resolveJobSpec fills in every default, nested objects too, and keeps what was given', () => {
  const spec = resolveJobSpec({
    ...base,
    hyperparameters: { epochs: 3, earlyStopping: { patience: 4 }, augmentation: { horizontalFlip: true } },
  } as unknown as JobSpec);
  for (const h of HYPERPARAMETERS) assert.ok(h.name in spec.hyperparameters, h.name);
  assert.equal(spec.hyperparameters.epochs, 3);
  assert.deepEqual(spec.hyperparameters.earlyStopping, { patience: 4, minDelta: 0 });
  assert.deepEqual(spec.hyperparameters.augmentation, { randomCropPadding: 0, horizontalFlip: true });
  assert.deepEqual(hyperparameterProblems(spec.hyperparameters), ['earlyStopping requires validationSplit > 0']);
  assert.deepEqual(hyperparameterProblems(resolveJobSpec(base).hyperparameters), []);
});

test('every cross-field rule is checked before queueing', () => {
  const broken = resolveJobSpec({
    ...base,
    hyperparameters: {
      optimizer: 'adam',
      nesterov: true,
      epochs: 2,
      warmupEpochs: 2,
      earlyStopping: { patience: 1, minDelta: 0 },
      validationSplit: 0,
      restoreBestWeights: true,
      unfreezeAtEpoch: 3,
    },
  });
  assert.deepEqual([...hyperparameterProblems(broken.hyperparameters)].sort(), HYPERPARAMETER_RULES.map((rule) => rule.text).sort());
});

test('normalize true is stored as "dataset"; fineTuneFrom becomes model.pretrained; pretrained weights default to imagenet', () => {
  const withoutSource = base;
  assert.equal(resolveJobSpec({ ...withoutSource, hyperparameters: { normalize: true as never } }).hyperparameters.normalize, 'dataset');
  assert.equal(resolveJobSpec(withoutSource).hyperparameters.normalize, 'none');
  const fromJob = resolveJobSpec({ ...withoutSource, fineTuneFrom: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f' }, { normalize: 'dataset' });
  assert.deepEqual(fromJob.model.pretrained, { jobId: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f' });
  assert.equal('fineTuneFrom' in fromJob, false);
  assert.equal(fromJob.hyperparameters.normalize, 'dataset');
  const weights = {
    ...withoutSource,
    model: { ...withoutSource.model, pretrained: { weightsId: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f' } },
  };
  assert.equal(resolveJobSpec(weights).hyperparameters.normalize, 'imagenet');
  assert.equal(resolveJobSpec({ ...weights, hyperparameters: { normalize: 'none' } }).hyperparameters.normalize, 'none');
});
