/**
 * measureThroughput runs the reference method end to end (speeds themselves are measured by
 * bench/engine, never asserted here): it trains the model, leaves no tensors behind and rejects
 * options it cannot honour.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { measureThroughput } from '../src/bench/index.js';
import { initEngine } from '../src/engine/index.js';
import { isCnnError } from '../src/errors.js';

function tinyCnn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4 }),
    ],
  });
}

before(async () => {
  await initEngine();
});

test('measures both speeds, updates the weights and frees every tensor it made', async () => {
  const model = tinyCnn();
  const weightsBefore = model.getWeights().map((w) => w.dataSync().slice());
  const tensorsBefore = tf.memory().numTensors;
  const result = await measureThroughput(model, { inputShape: [8, 8, 1], batch: 4, classes: 4, warmup: 1, steps: 3 });
  assert.equal(tf.memory().numTensors, tensorsBefore);
  assert.ok(result.trainImagesPerSec > 0 && Number.isFinite(result.trainImagesPerSec));
  assert.ok(result.evalImagesPerSec > 0 && Number.isFinite(result.evalImagesPerSec));
  const changed = model.getWeights().some((w, i) => w.dataSync().some((v, j) => v !== weightsBefore[i][j]));
  assert.ok(changed, 'the train steps updated the weights');
  model.dispose();
});

test('rejects a wrong input shape and nonsensical counts with invalid_option', async () => {
  const model = tinyCnn();
  const bad: Array<Parameters<typeof measureThroughput>[1]> = [
    { inputShape: [9, 9, 1], batch: 4 },
    { inputShape: [8, 8, 1], batch: 0 },
    { inputShape: [8, 8, 1], batch: 4, steps: 0 },
    { inputShape: [8, 8, 1], batch: 4, warmup: -1 },
    { inputShape: [8, 8, 1], batch: 2.5 },
  ];
  for (const options of bad) {
    await assert.rejects(
      () => measureThroughput(model, options),
      (error: unknown) => isCnnError(error, 'invalid_option'),
      JSON.stringify(options),
    );
  }
  model.dispose();
});
