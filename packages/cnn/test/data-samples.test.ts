/**
 * readSampleImages reads only the test images it returns, and returns exactly the images openDataset's
 * test split holds at those positions: IDX (held out, and a test pair, gzipped), CIFAR batches and an
 * image folder, with the read options applied.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDataset, readSampleImages, type DatasetOptions, type DatasetSource } from '../src/data/index.js';
import { cifarBatch, gzipSync, idxPair, png, tempDir, writeFile, zip } from './data-fixtures.js';

/** What the samples route showed before: the first perClass test images of each class, read whole. */
async function fromWholeDataset(source: DatasetSource, options: DatasetOptions, perClass: number) {
  const dataset = await openDataset(source, options);
  const labels = dataset.test.labels();
  const taken = new Array<number>(dataset.classNames.length).fill(0);
  const indices: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (taken[labels[i]!]! < perClass) {
      taken[labels[i]!]! += 1;
      indices.push(i);
    }
  }
  const batch = dataset.test.read(indices);
  const size = dataset.inputShape.reduce((a, b) => a * b, 1);
  const images = indices.map((index, i) => ({
    index,
    label: batch.y[i]!,
    pixels: Uint8Array.from(batch.x.subarray(i * size, (i + 1) * size), (v) => Math.round(v * 255)),
  }));
  images.sort((a, b) => a.label - b.label || a.index - b.index);
  return { inputShape: dataset.inputShape, classNames: dataset.classNames, images };
}

async function sameAsWhole(source: DatasetSource, options: DatasetOptions = {}, perClass = 2) {
  const picked = await readSampleImages(source, options, { perClass, maxClasses: 20 });
  const whole = await fromWholeDataset(source, options, perClass);
  assert.deepEqual(picked.inputShape, whole.inputShape);
  assert.deepEqual(picked.classNames, whole.classNames);
  assert.deepEqual(
    picked.images.map(({ index, label, pixels }) => ({ index, label, pixels: [...pixels] })),
    whole.images.map(({ index, label, pixels }) => ({ index, label, pixels: [...pixels] })),
  );
  assert.ok(picked.images.length > 0);
  return picked;
}

test('IDX: a held-out split and a test pair, gzipped, resized and replicated to 3 channels', async (t) => {
  const dir = tempDir(t);
  const train = idxPair(60, 3, 4, 3);
  const held = [writeFile(dir, 'train-images-idx3-ubyte', train.images), writeFile(dir, 'train-labels-idx1-ubyte', train.labels)];
  await sameAsWhole({ files: held });
  await sameAsWhole({ files: held }, { imageSize: [8, 6], channels: 3, testFraction: 0.3 });
  const testPair = idxPair(12, 3, 4, 3);
  const paired = [
    writeFile(dir, 'a.gz', gzipSync(train.images)),
    writeFile(dir, 'b.gz', gzipSync(train.labels)),
    writeFile(dir, 't10k-images.gz', gzipSync(testPair.images)),
    writeFile(dir, 't10k-labels.gz', gzipSync(testPair.labels)),
  ];
  const picked = await sameAsWhole({ files: paired }, {}, 3);
  assert.equal(picked.images.length, 9);
});

test('CIFAR batches: two training batches (the test split held out across both) and a test batch', async (t) => {
  const dir = tempDir(t);
  const labels = (n: number, offset: number) => Array.from({ length: n }, (_, i) => [(i + offset) % 4]);
  const batches = [
    writeFile(dir, 'data_batch_1.bin', cifarBatch(labels(12, 0), 1)),
    writeFile(dir, 'data_batch_2.bin', cifarBatch(labels(12, 1), 2)),
  ];
  await sameAsWhole({ files: batches }, { classNames: ['a', 'b', 'c', 'd'] });
  await sameAsWhole({ files: [...batches, writeFile(dir, 'test_batch.bin', cifarBatch(labels(8, 2), 3))] }, { channels: 1 });
});

test('an image folder: only the chosen images are decoded', async (t) => {
  const dir = tempDir(t);
  const entries = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < 5; i++) entries.push({ name: `set/class${c}/${i}.png`, data: png(6, 4, (y, x) => [40 * c + i, 10 * y, 10 * x]) });
  }
  const archive = writeFile(dir, 'images.zip', zip(entries));
  await sameAsWhole({ files: [archive] }, { testFraction: 0.4 });
  await sameAsWhole({ files: [archive] }, { testFraction: 0.4, imageSize: [3, 3], channels: 1 });
  // A corrupt training image is never decoded (openDataset would refuse it): only test images are read.
  const corrupt = Buffer.from(entries[0]!.data);
  corrupt.fill(0x42, 41);
  const split = [
    { name: 'train/class0/0.png', data: corrupt },
    ...entries.map((entry) => ({
      ...entry,
      name: entry.name.replace(/^set\/(class\d)\/(\d)/, (_, c: string, i: string) => `${Number(i) < 3 ? 'train' : 'test'}/${c}/${i}`),
    })),
  ];
  const withCorrupt = writeFile(dir, 'corrupt.zip', zip(split.filter((entry, i) => i === 0 || entry.name !== 'train/class0/0.png')));
  await assert.rejects(openDataset({ files: [withCorrupt] }));
  const picked = await readSampleImages({ files: [withCorrupt] }, {}, { perClass: 1, maxClasses: 20 });
  assert.equal(picked.images.length, 3);
});
