import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isCnnError, type CnnErrorCode } from '../src/errors.js';
import {
  DEFAULT_FASHION_MNIST_DIR,
  FASHION_MNIST_CLASS_NAMES,
  describeBuiltinDataset,
  fashionMnistDir,
  inspectDataset,
  loadFashionMnist,
  openBuiltinDataset,
  openDataset,
} from '../src/data/index.js';
import { gzipSync, idxImages, idxLabels, idxPair, tempDir, writeFile } from './data-fixtures.js';

function rejectsWith(code: CnnErrorCode, ...fragments: string[]) {
  return (error: unknown) => {
    assert.ok(isCnnError(error, code), `expected CnnError ${code}, got ${String(error)}`);
    for (const fragment of fragments) assert.match((error as Error).message, new RegExp(escape(fragment)));
    return true;
  };
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('IDX train and test pairs, plain and gzipped, pair by name and read back exactly', async (t) => {
  const dir = tempDir(t);
  const train = idxPair(12, 3);
  const testPair = idxPair(6, 3);
  const files = [
    writeFile(dir, 'train-images-idx3-ubyte.gz', gzipSync(train.images)),
    writeFile(dir, 't10k-labels-idx1-ubyte', testPair.labels),
    writeFile(dir, 'train-labels-idx1-ubyte', train.labels),
    writeFile(dir, 't10k-images-idx3-ubyte.gz', gzipSync(testPair.images)),
  ];
  const dataset = await openDataset({ files });
  assert.equal(dataset.format, 'idx');
  assert.equal(dataset.testSplit, 'files');
  assert.deepEqual(dataset.inputShape, [4, 3, 1]);
  assert.deepEqual(dataset.classNames, ['0', '1', '2'], 'labels name the classes when the format brings no names');
  assert.equal(dataset.train.size, 12);
  assert.equal(dataset.test.size, 6);
  assert.deepEqual([...dataset.train.labels()], train.labelValues);
  const batch = dataset.train.read([5]);
  assert.equal(batch.x.length, 12);
  assert.ok(batch.x.every((v) => v === Math.fround(train.pixelValues[5] / 255)));
  assert.equal(dataset.test.read([4]).x[0], Math.fround(testPair.pixelValues[4] / 255));
});

test('one IDX pair gets a seeded, stratified held-out test split', async (t) => {
  const dir = tempDir(t);
  const pair = idxPair(100, 4);
  const files = [writeFile(dir, 'images.idx', pair.images), writeFile(dir, 'labels.idx', pair.labels)];
  const options = { testFraction: 0.25, seed: 3, classNames: ['a', 'b', 'c', 'd'] };
  const dataset = await openDataset({ files, format: 'idx' }, options);
  assert.equal(dataset.testSplit, 'held_out');
  assert.equal(dataset.train.size, 75);
  assert.equal(dataset.test.size, 25);
  assert.deepEqual(dataset.classNames, ['a', 'b', 'c', 'd']);
  const summary = await inspectDataset({ files }, options);
  // 25 per class: 6 each held out, and the 25th by largest remainder (a tie, so the lowest class).
  assert.deepEqual(summary.testClassCounts, [7, 6, 6, 6]);
  assert.deepEqual(summary.classCounts, [18, 19, 19, 19]);
  assert.deepEqual([summary.trainSize, summary.testSize, summary.testSplit], [75, 25, 'held_out']);
  const again = await openDataset({ files }, options);
  assert.deepEqual([...again.test.labels()], [...dataset.test.labels()]);
  assert.deepEqual(again.test.read([0, 1, 2]), dataset.test.read([0, 1, 2]));
});

test('IDX images with a channel dimension (magic 0x00000804) keep their channels', async (t) => {
  const dir = tempDir(t);
  const header = Buffer.alloc(20);
  header.writeUInt32BE(0x00000804, 0);
  [4, 2, 2, 3].forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const pixels = Buffer.from(Array.from({ length: 4 * 12 }, (_, i) => i));
  const files = [writeFile(dir, 'rgb-images', Buffer.concat([header, pixels])), writeFile(dir, 'rgb-labels', idxLabels([0, 1, 0, 1]))];
  const dataset = await openDataset({ files }, { testFraction: 0.5 });
  assert.deepEqual(dataset.inputShape, [2, 2, 3]);
  const all = [...dataset.train.labels(), ...dataset.test.labels()];
  assert.deepEqual(all.sort(), [0, 0, 1, 1]);
  const first = dataset.train.read([0]).x;
  assert.equal(first.length, 12);
  assert.equal(Math.round(first[11] * 255) - Math.round(first[0] * 255), 11, 'one image is 12 consecutive bytes');
});

test('malformed IDX files are refused with the file and the problem named', async (t) => {
  const dir = tempDir(t);
  const pair = idxPair(10, 2);
  const labels = writeFile(dir, 'labels', pair.labels);

  const truncated = writeFile(dir, 'images-truncated', pair.images.subarray(0, pair.images.length - 5));
  await assert.rejects(
    openDataset({ files: [truncated, labels] }),
    rejectsWith('dataset_malformed', '"images-truncated"', 'truncated', '9 whole records'),
  );

  const truncatedGz = writeFile(dir, 'images.gz', gzipSync(pair.images).subarray(0, 40));
  await assert.rejects(openDataset({ files: [truncatedGz, labels] }), rejectsWith('dataset_malformed', '"images.gz"'));

  const trailing = writeFile(dir, 'images-long', Buffer.concat([pair.images, Buffer.from([1, 2])]));
  await assert.rejects(
    openDataset({ files: [trailing, labels] }),
    rejectsWith('dataset_malformed', '"images-long"', 'after the 10 images'),
  );

  const header = writeFile(dir, 'images-header', pair.images.subarray(0, 10));
  await assert.rejects(openDataset({ files: [header, labels] }), rejectsWith('dataset_malformed', '"images-header"', 'header'));

  const wrongMagic = Buffer.from(pair.images);
  wrongMagic.writeUInt32BE(0x12345678, 0);
  const bad = writeFile(dir, 'images-magic', wrongMagic);
  await assert.rejects(
    openDataset({ files: [bad, labels], format: 'idx' }),
    rejectsWith('dataset_malformed', '"images-magic"', 'not an IDX file'),
  );
  await assert.rejects(openDataset({ files: [bad, labels] }), rejectsWith('dataset_unsupported', '"images-magic"'));

  const floats = Buffer.from(pair.images);
  floats[2] = 0x0d;
  await assert.rejects(openDataset({ files: [writeFile(dir, 'floats', floats), labels] }), rejectsWith('dataset_unsupported', 'float32'));
});

test('labels that disagree with the images are refused with details', async (t) => {
  const dir = tempDir(t);
  const pair = idxPair(10, 2);
  const images = writeFile(dir, 'images', pair.images);
  const fewer = writeFile(dir, 'labels-9', idxLabels(pair.labelValues.slice(0, 9)));
  await assert.rejects(openDataset({ files: [images, fewer] }), (error: unknown) => {
    rejectsWith('dataset_malformed', '"labels-9"', '9 labels', '10 images')(error);
    assert.equal((error as { details?: Record<string, unknown> }).details?.labels, 9);
    return true;
  });
  const outOfRange = writeFile(dir, 'labels-big', idxLabels([0, 1, 0, 1, 0, 1, 0, 1, 0, 7]));
  await assert.rejects(
    openDataset({ files: [images, outOfRange] }, { classNames: ['a', 'b'] }),
    rejectsWith('dataset_malformed', '"labels-big"', 'label 7 of example 9', 'number of classes (2)'),
  );
  const oneClass = writeFile(dir, 'labels-one', idxLabels(new Array(10).fill(1)));
  await assert.rejects(openDataset({ files: [images, oneClass] }), rejectsWith('dataset_malformed', 'at least 2 classes', 'only "1"'));
  await assert.rejects(openDataset({ files: [images] }), rejectsWith('dataset_malformed', 'one images file and one labels file'));
  const empty = writeFile(dir, 'none', idxImages([], 4, 3));
  await assert.rejects(
    openDataset({ files: [empty, writeFile(dir, 'nolabels', idxLabels([]))] }),
    rejectsWith('dataset_malformed', 'no training images'),
  );
});

test('bad sources and options are invalid_option, not crashes', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(openDataset({ files: [] }), rejectsWith('invalid_option', 'files'));
  await assert.rejects(openDataset({ files: [{ name: 'x', path: join(dir, 'missing') }] }), rejectsWith('invalid_option', '"x"', 'ENOENT'));
  await assert.rejects(openDataset({ files: [{ name: 'dir', path: dir }] }), rejectsWith('invalid_option', '"dir"'));
  const pair = idxPair(10, 2);
  const files = [writeFile(dir, 'i', pair.images), writeFile(dir, 'l', pair.labels)];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await assert.rejects(openDataset({ files, format: 'csv' as any }), rejectsWith('invalid_option', 'format'));
  await assert.rejects(openDataset({ files }, { testFraction: 1.5 }), rejectsWith('invalid_option', 'testFraction'));
  await assert.rejects(openDataset({ files }, { classNames: ['only'] }), rejectsWith('invalid_option', 'classNames'));
  await assert.rejects(openDataset({ files }, { limits: { maxEntries: -1 } }), rejectsWith('invalid_option', 'limits.maxEntries'));
  await assert.rejects(
    openDataset({ files }, { limits: { maxDecodedBytes: 50 } }),
    rejectsWith('dataset_too_large', '"i"', 'maxDecodedBytes'),
  );
});

const fashionDir = fashionMnistDir();
const haveFashion = existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz'));

test(
  'the real Fashion-MNIST loads with its counts, shape and class names',
  { skip: process.env.CI !== 'true' && !haveFashion && `no Fashion-MNIST in ${fashionDir} (with CI=true this test runs, and fails)` },
  async () => {
    const dataset = await loadFashionMnist();
    assert.equal(dataset.name, 'fashion-mnist');
    assert.equal(dataset.train.size, 60000);
    assert.equal(dataset.test.size, 10000);
    assert.deepEqual(dataset.inputShape, [28, 28, 1]);
    assert.deepEqual(dataset.classNames, FASHION_MNIST_CLASS_NAMES);
    assert.equal(dataset.train.labels()[0], 9, 'the first training image is an ankle boot');
    const batch = dataset.train.read([0, 59999]);
    assert.equal(batch.x.length, 2 * 784);
    assert.ok(batch.x.every((v) => v >= 0 && v <= 1) && batch.x.some((v) => v === 1));
    assert.deepEqual(
      await inspectDataset({ files: fashionFiles() }, { name: 'fashion-mnist', classNames: FASHION_MNIST_CLASS_NAMES }),
      describeBuiltinDataset('fashion-mnist'),
      'the static description matches the installed files',
    );
    assert.equal((await openBuiltinDataset('fashion-mnist')).train.size, 60000);
  },
);

function fashionFiles() {
  return ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'].map(
    (name) => ({
      name,
      path: join(fashionDir, name),
    }),
  );
}

test('a missing Fashion-MNIST directory is dataset_unavailable with the fix', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(
    loadFashionMnist(join(dir, 'nowhere')),
    rejectsWith('dataset_unavailable', 'dataset-fashion-mnist', 'FASHION_MNIST_DIR'),
  );
  await assert.rejects(loadFashionMnist(dir), rejectsWith('dataset_unavailable', 'train-images-idx3-ubyte'));
  assert.equal(DEFAULT_FASHION_MNIST_DIR, '/usr/share/datasets/fashion-mnist');
});
