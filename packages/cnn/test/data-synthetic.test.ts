import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCnnError } from '../src/errors.js';
import { countClasses, describeBuiltinDataset, openBuiltinDataset, syntheticDataset, type LoadedDataset } from '../src/data/index.js';
import type { Split } from '../src/types.js';

const everything = (split: Split) => split.read(Array.from({ length: split.size }, (_, i) => i));

/** Test accuracy of the nearest class mean (in pixel space) learnt on the training split. */
function nearestMeanAccuracy(dataset: LoadedDataset): number {
  const [h, w, c] = dataset.inputShape;
  const per = h * w * c;
  const classes = dataset.classNames.length;
  const train = everything(dataset.train);
  const means = Array.from({ length: classes }, () => new Float64Array(per));
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < train.size; i++) {
    counts[train.y[i]]++;
    for (let j = 0; j < per; j++) means[train.y[i]][j] += train.x[i * per + j];
  }
  means.forEach((m, k) => m.forEach((v, j) => (m[j] = v / counts[k])));
  const test = everything(dataset.test);
  let correct = 0;
  for (let i = 0; i < test.size; i++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let k = 0; k < classes; k++) {
      let distance = 0;
      for (let j = 0; j < per; j++) distance += (test.x[i * per + j] - means[k][j]) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [k, distance];
    }
    if (best === test.y[i]) correct++;
  }
  return correct / test.size;
}

test('the synthetic set is deterministic for a seed and differs between seeds', () => {
  const a = syntheticDataset({ trainSize: 100, testSize: 20, seed: 5 });
  const b = syntheticDataset({ trainSize: 100, testSize: 20, seed: 5 });
  const c = syntheticDataset({ trainSize: 100, testSize: 20, seed: 6 });
  assert.deepEqual(everything(a.train), everything(b.train));
  assert.deepEqual(everything(a.test), everything(b.test));
  assert.notDeepEqual(everything(a.train).x, everything(c.train).x);
  assert.equal(a.format, 'synthetic');
  assert.deepEqual(a.inputShape, [28, 28, 1]);
  assert.equal(a.classNames.length, 10);
});

test('its classes are balanced, no two images alike, and learnable: nearest class mean scores far above chance', () => {
  const dataset = syntheticDataset({ trainSize: 1000, testSize: 300, seed: 1 });
  assert.deepEqual(countClasses(dataset.train.labels()), new Array(10).fill(100));
  assert.deepEqual(countClasses(dataset.test.labels()), new Array(10).fill(30));
  const x = everything(dataset.train).x;
  const first = x.subarray(0, 784).join();
  assert.ok([1, 2, 3].every((i) => x.subarray(i * 784, (i + 1) * 784).join() !== first));
  const accuracy = nearestMeanAccuracy(dataset);
  assert.ok(accuracy > 0.9, `nearest-mean accuracy ${accuracy}`);
  const colour = syntheticDataset({ inputShape: [16, 16, 3], classes: 4, trainSize: 200, testSize: 100, seed: 2 });
  assert.deepEqual(colour.inputShape, [16, 16, 3]);
  assert.ok(nearestMeanAccuracy(colour) > 0.9);
});

test('describe and the builtin entry point agree with the generated set; bad options are invalid_option', async () => {
  const options = { trainSize: 45, testSize: 12, classes: 4, seed: 3 };
  const dataset = await openBuiltinDataset('synthetic', options);
  const summary = describeBuiltinDataset('synthetic', options);
  assert.equal(summary.trainSize, dataset.train.size);
  assert.deepEqual(summary.classCounts, countClasses(dataset.train.labels()));
  assert.deepEqual(summary.testClassCounts, countClasses(dataset.test.labels()));
  assert.deepEqual(summary.classNames, dataset.classNames);
  for (const bad of [{ classes: 1 }, { trainSize: 5 }, { inputShape: [2, 28, 1] }, { seed: 0.5 }, { epochs: 3 }]) {
    assert.throws(
      () => syntheticDataset(bad as never),
      (e: unknown) => isCnnError(e, 'invalid_option'),
      JSON.stringify(bad),
    );
  }
  await assert.rejects(openBuiltinDataset('imagenet' as never), (e: unknown) => isCnnError(e, 'invalid_option'));
  await assert.rejects(openBuiltinDataset('fashion-mnist', { classes: 3 }), (e: unknown) => isCnnError(e, 'invalid_option'));
});
