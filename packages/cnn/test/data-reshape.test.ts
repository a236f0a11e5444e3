import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeBuiltinDataset, inspectDataset, openBuiltinDataset, openDataset } from '../src/data/index.js';
import { idxImages, idxLabels, tempDir, writeFile } from './data-fixtures.js';

/** Six 2x2 grey images whose pixels say which image and where they are. */
function greyFiles(dir: string) {
  const images = Array.from({ length: 6 }, (_, i) => Uint8Array.from([10 * i, 10 * i + 1, 10 * i + 2, 10 * i + 3]));
  return [
    writeFile(dir, 'train-images-idx3-ubyte', idxImages(images, 2, 2)),
    writeFile(dir, 'train-labels-idx1-ubyte', idxLabels([0, 1, 0, 1, 0, 1])),
  ];
}

test('channels 3 replicates grey images, imageSize resizes them, in the data and in the summary', async (t) => {
  const files = greyFiles(tempDir(t));
  const options = { channels: 3 as const, testFraction: 0.34 };
  const dataset = await openDataset({ files, format: 'idx' }, options);
  assert.deepEqual(dataset.inputShape, [2, 2, 3]);
  const first = dataset.train.read([0]);
  for (let p = 0; p < 4; p++) assert.equal(first.x[3 * p], first.x[3 * p + 1], 'the grey value in every channel');
  assert.equal(first.x[3 * 1 + 2], first.x[3 * 1]);
  assert.equal(dataset.train.size + dataset.test.size, 6);
  assert.equal(dataset.test.size, 2, 'testFraction 0.34 of 6');

  const resized = await openDataset({ files, format: 'idx' }, { imageSize: [4, 6], channels: 3 });
  assert.deepEqual(resized.inputShape, [4, 6, 3]);
  assert.equal(resized.train.read([0]).x.length, 4 * 6 * 3);
  const summary = await inspectDataset({ files, format: 'idx' }, { imageSize: [4, 6], channels: 3 });
  assert.deepEqual(summary.inputShape, [4, 6, 3]);
});

test('builtin datasets take imageSize and channels (synthetic generates at that shape)', async () => {
  assert.deepEqual(describeBuiltinDataset('fashion-mnist', { channels: 3, imageSize: [32, 32] }).inputShape, [32, 32, 3]);
  assert.deepEqual(describeBuiltinDataset('synthetic', { channels: 3 }).inputShape, [28, 28, 3]);
  const synthetic = await openBuiltinDataset('synthetic', { channels: 3, imageSize: [16, 20], trainSize: 40, testSize: 10 });
  assert.deepEqual(synthetic.inputShape, [16, 20, 3]);
});
