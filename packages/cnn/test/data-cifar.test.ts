import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCnnError, type CnnErrorCode } from '../src/errors.js';
import { CIFAR10_CLASS_NAMES, inspectDataset, openDataset } from '../src/data/index.js';
import { cifarBatch, cifarRecord, gzipSync, tarball, tempDir, writeFile, zip } from './data-fixtures.js';

function rejectsWith(code: CnnErrorCode, ...fragments: string[]) {
  return (error: unknown) => {
    assert.ok(isCnnError(error, code), `expected CnnError ${code}, got ${String(error)}`);
    for (const fragment of fragments)
      assert.ok((error as Error).message.includes(fragment), `"${(error as Error).message}" lacks "${fragment}"`);
    return true;
  };
}

/** Value of plane c at (y, x) in record i of cifarBatch(..., seed). */
const pixel = (seed: number, i: number, c: number, y: number, x: number) => (seed + i * 7 + c * 50 + y + x) & 255;

test('CIFAR-10 batches: planar records become NHWC, test_batch.bin is the test set, meta names the classes', async (t) => {
  const dir = tempDir(t);
  const files = [
    writeFile(dir, 'data_batch_1.bin', cifarBatch([[0], [1], [2]], 0)),
    writeFile(dir, 'data_batch_2.bin', cifarBatch([[3], [1]], 100)),
    writeFile(dir, 'test_batch.bin', cifarBatch([[2], [0]], 200)),
    writeFile(dir, 'batches.meta.txt', Buffer.from('a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n')),
  ];
  const dataset = await openDataset({ files });
  assert.equal(dataset.format, 'cifar10');
  assert.deepEqual(dataset.inputShape, [32, 32, 3]);
  assert.deepEqual(dataset.classNames, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  assert.deepEqual([...dataset.train.labels()], [0, 1, 2, 3, 1]);
  assert.deepEqual([...dataset.test.labels()], [2, 0]);
  assert.equal(dataset.testSplit, 'files');
  // Example 4 is record 1 of the second batch; check pixel (y=5, x=9) in all three channels.
  const { x } = dataset.train.read([4]);
  const at = (5 * 32 + 9) * 3;
  assert.deepEqual(
    [...x.subarray(at, at + 3)],
    [0, 1, 2].map((c) => Math.fround(pixel(100, 1, c, 5, 9) / 255)),
  );
  const testX = dataset.test.read([1]).x;
  assert.equal(testX[(31 * 32 + 31) * 3 + 2], Math.fround(pixel(200, 1, 2, 31, 31) / 255));
});

test('CIFAR-10 without meta file gets the known class names, and without a test batch a held-out split', async (t) => {
  const dir = tempDir(t);
  const labels = Array.from({ length: 40 }, (_, i) => [i % 10]);
  const file = writeFile(dir, 'upload-1', cifarBatch(labels));
  const summary = await inspectDataset({ files: [file], format: 'cifar10' }, { testFraction: 0.25 });
  assert.equal(summary.format, 'cifar10');
  assert.deepEqual(summary.classNames, CIFAR10_CLASS_NAMES);
  assert.equal(summary.testSplit, 'held_out');
  assert.equal(summary.trainSize + summary.testSize, 40);
  assert.equal(summary.testSize, 10);
  // Detected from its size (a multiple of 3073 bytes only) even with a meaningless name.
  const detected = await openDataset({ files: [file] });
  assert.equal(detected.format, 'cifar10');
});

test('CIFAR-100: fine labels, fine_label_names.txt, default names class_N without it', async (t) => {
  const dir = tempDir(t);
  const train = Buffer.concat([cifarRecord([3, 42], () => 1), cifarRecord([19, 99], () => 2), cifarRecord([0, 0], () => 3)]);
  const testBatch = Buffer.concat([cifarRecord([1, 7], () => 4)]);
  const names = Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n');
  const files = [writeFile(dir, 'train.bin', train), writeFile(dir, 'test.bin', testBatch)];
  const dataset = await openDataset({ files: [...files, writeFile(dir, 'fine_label_names.txt', Buffer.from(names))] });
  assert.equal(dataset.format, 'cifar100');
  assert.deepEqual([...dataset.train.labels()], [42, 99, 0]);
  assert.deepEqual([...dataset.test.labels()], [7]);
  assert.equal(dataset.classNames[99], 'fine99');
  const plain = await inspectDataset({ files });
  assert.equal(plain.classNames.length, 100);
  assert.equal(plain.classNames[42], 'class_42');
  assert.equal(plain.classCounts[99], 1);
});

test('the official cifar-10-binary.tar.gz layout is read straight from the archive', async (t) => {
  const dir = tempDir(t);
  const archive = await tarball(
    [
      { name: 'cifar-10-batches-bin/', type: 'directory' },
      { name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from(CIFAR10_CLASS_NAMES.join('\n')) },
      { name: 'cifar-10-batches-bin/data_batch_1.bin', data: cifarBatch([[0], [9], [4]]) },
      { name: 'cifar-10-batches-bin/data_batch_2.bin', data: gzipSync(cifarBatch([[5], [6]], 9)) },
      { name: 'cifar-10-batches-bin/test_batch.bin', data: cifarBatch([[1], [2]]) },
      { name: 'cifar-10-batches-bin/readme.html', data: Buffer.from('<html></html>') },
    ],
    true,
  );
  const dataset = await openDataset({ files: [writeFile(dir, 'cifar-10-binary.tar.gz', archive)] });
  assert.equal(dataset.format, 'cifar10');
  assert.deepEqual([...dataset.train.labels()], [0, 9, 4, 5, 6]);
  assert.deepEqual([...dataset.test.labels()], [1, 2]);
  assert.equal(dataset.train.read([4]).x[1], Math.fround(pixel(9, 1, 1, 0, 0) / 255));
  const zipped = zip([
    { name: 'b/data_batch_1.bin', data: cifarBatch([[0], [1], [0], [1]]) },
    { name: 'b/README', data: Buffer.from('x') },
  ]);
  const fromZip = await inspectDataset({ files: [writeFile(dir, 'c.zip', zipped)], format: 'cifar10' }, { testFraction: 0.5 });
  assert.deepEqual([fromZip.trainSize, fromZip.testSize, fromZip.testSplit], [2, 2, 'held_out']);
  // A batch above 8 MiB is inflated from the zip as a stream rather than in one call.
  const big = zip([{ name: 'data_batch_1.bin', data: cifarBatch(Array.from({ length: 2800 }, (_, i) => [i % 10])) }]);
  const bigSummary = await inspectDataset({ files: [writeFile(dir, 'big.zip', big)] });
  assert.deepEqual([bigSummary.trainSize + bigSummary.testSize, bigSummary.testSize], [2800, 560]);
  // Two images of two classes: each class must keep its only training image, so nothing can be held out.
  const tiny = zip([{ name: 'data_batch_1.bin', data: cifarBatch([[0], [1]]) }]);
  await assert.rejects(openDataset({ files: [writeFile(dir, 'tiny.zip', tiny)] }), rejectsWith('dataset_malformed', 'too few images (2)'));
});

test('malformed CIFAR batches name the file and the size or label problem', async (t) => {
  const dir = tempDir(t);
  const good = cifarBatch([[0], [1], [2]]);
  const short = writeFile(dir, 'data_batch_1.bin', good.subarray(0, good.length - 10));
  await assert.rejects(
    openDataset({ files: [short] }),
    rejectsWith(
      'dataset_malformed',
      '"data_batch_1.bin"',
      'is 9209 bytes long',
      'not a multiple of the 3073-byte CIFAR-10 record',
      '2 whole records and 3063 bytes left over',
    ),
  );
  const shortGz = writeFile(dir, 'data_batch_2.bin', gzipSync(good.subarray(0, good.length - 10)));
  await assert.rejects(openDataset({ files: [shortGz] }), rejectsWith('dataset_malformed', '"data_batch_2.bin"', 'not a multiple'));
  const badLabel = writeFile(dir, 'data_batch_3.bin', cifarBatch([[0], [1], [12]]));
  await assert.rejects(
    openDataset({ files: [badLabel] }),
    rejectsWith('dataset_malformed', '"data_batch_3.bin"', 'record 2 has label 12', '(10)'),
  );
  const coarse = writeFile(dir, 'train.bin', Buffer.concat([cifarRecord([25, 3], () => 0)]));
  await assert.rejects(openDataset({ files: [coarse] }), rejectsWith('dataset_malformed', '"train.bin"', 'coarse label 25'));
  const onlyTest = writeFile(dir, 'test_batch.bin', good);
  await assert.rejects(openDataset({ files: [onlyTest] }), rejectsWith('dataset_malformed', 'training batch'));
  const empty = writeFile(dir, 'data_batch_4.bin', Buffer.alloc(0));
  await assert.rejects(openDataset({ files: [empty] }), rejectsWith('dataset_malformed', '"data_batch_4.bin"', 'empty'));
  const mixed = [
    writeFile(dir, 'data_batch_5.bin', good),
    writeFile(
      dir,
      'test.bin',
      cifarRecord([0, 1], () => 0),
    ),
  ];
  await assert.rejects(openDataset({ files: mixed }), rejectsWith('dataset_malformed', 'mix CIFAR-10 and CIFAR-100'));
  const oneName = writeFile(dir, 'batches.meta.txt', Buffer.from('only\n'));
  await assert.rejects(
    openDataset({ files: [writeFile(dir, 'data_batch_6.bin', good), oneName] }),
    rejectsWith('dataset_malformed', '"batches.meta.txt"'),
  );
  const oneClass = writeFile(dir, 'data_batch_7.bin', cifarBatch([[3], [3], [3]]));
  await assert.rejects(openDataset({ files: [oneClass] }), rejectsWith('dataset_malformed', 'at least 2 classes', '"cat"'));
  // A gzipped batch of zeros is valid at any length: its inflated size counts against memory, also when inspecting.
  const zeros = writeFile(dir, 'data_batch_8.bin', gzipSync(Buffer.alloc(3073 * 20)));
  const limits = { maxDecodedBytes: 3072 * 10 };
  await assert.rejects(
    inspectDataset({ files: [zeros] }, { limits }),
    rejectsWith('dataset_too_large', '"data_batch_8.bin"', 'maxDecodedBytes'),
  );
  await assert.rejects(openDataset({ files: [zeros] }, { limits }), rejectsWith('dataset_too_large', 'maxDecodedBytes'));
  const unknown = writeFile(dir, 'notes.md', Buffer.from('hello'));
  await assert.rejects(openDataset({ files: [unknown] }), rejectsWith('dataset_unsupported', '"notes.md"'));
});
