/**
 * The recorded facts (architecture-facts.ts) are what the builders produce today, for every variant,
 * and the memory estimate built on them needs no tfjs and knows every architecture.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { architectureFacts, architectureNames, estimateTrainingBytes, measureArchitecture } from '../src/models/index.js';
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

test('the memory estimate: weights with their gradients and optimizer slots, activations scaled by area, the input batch', () => {
  const facts = architectureFacts('resnet20');
  const request = {
    architecture: 'resnet20',
    inputShape: [32, 32, 3] as [number, number, number],
    batchSize: 64,
    optimizer: 'adam' as const,
  };
  const expected = 4 * (facts.parameters * 4 + 2 * 64 * facts.activationsPerExample + 64 * 32 * 32 * 3);
  assert.equal(estimateTrainingBytes(request), expected);
  // sgd keeps one slot per weight instead of two.
  assert.equal(estimateTrainingBytes(request) - estimateTrainingBytes({ ...request, optimizer: 'sgd' }), 4 * facts.parameters);
  // Twice the area, twice the activations.
  const wider = estimateTrainingBytes({ ...request, inputShape: [32, 64, 3] });
  assert.equal(wider - estimateTrainingBytes(request), 4 * (2 * 64 * facts.activationsPerExample + 64 * 32 * 32 * 3));
  assert.throws(
    () => estimateTrainingBytes({ ...request, architecture: 'resnet21' }),
    (e: unknown) => isCnnError(e, 'unknown_architecture'),
  );
});
