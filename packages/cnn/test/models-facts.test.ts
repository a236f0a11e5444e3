/**
 * The recorded facts (architecture-facts.ts) are what the builders produce today, for every variant
 * and every option that changes its size, and the memory estimate built on them needs no tfjs, knows
 * every architecture and follows the whole spec: options, input shape, classes, batch, optimizer and
 * the dataset.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  architectureFacts,
  architectureNames,
  estimateModelSize,
  estimateTrainingMemory,
  estimateTrainingBytes,
  measureArchitecture,
  measureModel,
} from '../src/models/index.js';
import { isCnnError } from '../src/errors.js';

before(async () => {
  // The cpu backend allocates zero weights lazily, so measuring the VGGs costs no real memory.
  await tf.setBackend('cpu');
});

test('every variant of the catalog has recorded facts equal to a fresh measurement (regenerate: node packages/cnn/scripts/architecture-facts.mjs)', () => {
  for (const name of architectureNames()) {
    assert.deepEqual(architectureFacts(name), measureArchitecture(name), name);
  }
  assert.throws(
    () => architectureFacts('lenet6'),
    (e: unknown) => isCnnError(e, 'unknown_architecture'),
  );
});

test('estimated parameters and activations match models built for specs the facts were not measured at', () => {
  const cases = [
    // The hostile tenant's case: the classifier reads a 16x16x512 map, 537 M weights in its first layer alone.
    { architecture: 'vgg11', inputShape: [512, 512, 3], classes: 10, options: { smallInput: true } },
    { architecture: 'vgg11', inputShape: [512, 512, 3], classes: 10, options: {} },
    { architecture: 'resnet18', inputShape: [96, 80, 1], classes: 7, options: { smallInput: true } },
    { architecture: 'inception_v3', inputShape: [299, 299, 3], classes: 5, options: { auxLogits: false } },
    { architecture: 'googlenet', inputShape: [224, 224, 3], classes: 1000, options: {} },
    { architecture: 'densenet121', inputShape: [224, 224, 3], classes: 1000, options: {} },
    { architecture: 'alexnet', inputShape: [227, 227, 3], classes: 100, options: { smallInput: true } },
  ] as const;
  for (const spec of cases) {
    const estimate = estimateModelSize({ ...spec, inputShape: [...spec.inputShape], options: { ...spec.options } });
    const built = measureModel(spec.architecture, { ...spec.options, inputShape: [...spec.inputShape], classes: spec.classes });
    const what = JSON.stringify(spec);
    assert.equal(estimate.parameters, built.parameters, what);
    const ratio = estimate.activationsPerExample / built.activationsPerExample;
    assert.ok(
      ratio > 0.85 && ratio < 1.15,
      `${what}: activations estimated ${estimate.activationsPerExample}, built ${built.activationsPerExample}`,
    );
  }
  // smallInput at 512x512 is 4x the weights of the pooled VGG-11 and needs far more than a 4 GB worker.
  const vgg = { architecture: 'vgg11', inputShape: [512, 512, 3] as [number, number, number], classes: 10, batchSize: 32 };
  const pooled = estimateTrainingMemory({ ...vgg, optimizer: 'adam' });
  const small = estimateTrainingMemory({ ...vgg, optimizer: 'adam', options: { smallInput: true } });
  assert.ok(small.parameters > 4 * pooled.parameters);
  assert.ok(small.bytes > 8 * 1024 ** 3, `${small.bytes}`);
});

test('the memory estimate: weights with their gradients and optimizer slots, activations, the input batch and the dataset', () => {
  const request = {
    architecture: 'resnet20',
    inputShape: [32, 32, 3] as [number, number, number],
    classes: 10,
    batchSize: 64,
    optimizer: 'adam' as const,
  };
  const size = estimateModelSize(request);
  const expected = 4 * (size.parameters * 4 + 2 * 64 * size.activationsPerExample + 64 * 32 * 32 * 3);
  assert.equal(estimateTrainingBytes(request), expected);
  // sgd keeps one slot per weight instead of two.
  assert.equal(estimateTrainingBytes(request) - estimateTrainingBytes({ ...request, optimizer: 'sgd' }), 4 * size.parameters);
  // More classes: more weights in the last layer.
  assert.equal(estimateModelSize({ ...request, classes: 100 }).parameters - size.parameters, 90 * 65);
  // A wider input: more activations, the same weights.
  const wider = estimateModelSize({ ...request, inputShape: [32, 64, 3] });
  assert.equal(wider.parameters, size.parameters);
  assert.ok(wider.activationsPerExample > 1.9 * size.activationsPerExample);
  // The dataset the training process holds, at the input shape.
  const withData = estimateTrainingMemory({ ...request, datasetExamples: 1000 });
  assert.equal(withData.datasetBytes, 1000 * 32 * 32 * 3 * 4);
  assert.equal(withData.bytes, expected + withData.datasetBytes);
  assert.throws(
    () => estimateTrainingBytes({ ...request, architecture: 'resnet21' }),
    (e: unknown) => isCnnError(e, 'unknown_architecture'),
  );
});
