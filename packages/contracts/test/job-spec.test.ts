import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { buildJobSpecSchema, HYPERPARAMETER_RULES, HYPERPARAMETERS, hyperparameterProblems, resolveJobSpec, type JobSpec } from '../src/index.js';

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
    hyperparameters: { epochs: 50, batchSize: 256, optimizer: 'sgd', nesterov: true, earlyStopping: { patience: 2 }, augmentation: { horizontalFlip: true } },
    maxRuntimeSeconds: 3600,
    fineTuneFrom: '5b1c2a36-4d1e-4c8a-9f3e-0a1b2c3d4e5f',
  };
  assert.ok(validate(full), JSON.stringify(validate.errors));
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
  const spec = resolveJobSpec({ ...base, hyperparameters: { epochs: 3, earlyStopping: { patience: 4 }, augmentation: { horizontalFlip: true } } } as unknown as JobSpec);
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
    hyperparameters: { optimizer: 'adam', nesterov: true, epochs: 2, warmupEpochs: 2, earlyStopping: { patience: 1, minDelta: 0 }, validationSplit: 0 },
  });
  assert.deepEqual([...hyperparameterProblems(broken.hyperparameters)].sort(), HYPERPARAMETER_RULES.map((rule) => rule.text).sort());
});
