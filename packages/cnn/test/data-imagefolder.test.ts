import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectDataset, openDataset } from '../src/data/index.js';
import { classColour, jpegImage, png, tarball, tempDir, writeFile, zip, type ZipEntrySpec } from './data-fixtures.js';

const flat = (colour: [number, number, number]) => () => colour;

/** Every pixel of example i of a split, as bytes 0..255. */
function imageBytes(split: { read(i: number[]): { x: Float32Array } }, i: number): number[] {
  return [...split.read([i]).x].map((v) => Math.round(v * 255));
}

test('a zip of class folders with PNG and JPEG files: sorted classes, most common size, RGB, held-out test split', async (t) => {
  const dir = tempDir(t);
  const entries: ZipEntrySpec[] = [];
  for (const [c, name] of ['dog', 'cat'].entries()) {
    for (let i = 0; i < 5; i++) {
      const colour = classColour(c);
      const data = i % 2 === 0 ? png(8, 6, flat(colour)) : jpegImage(8, 6, flat(colour));
      entries.push({ name: `pets/${name}/${i}.${i % 2 === 0 ? 'png' : 'jpg'}`, data });
    }
  }
  entries.push({ name: 'pets/cat/odd-size.PNG', data: png(4, 4, flat(classColour(1))) });
  entries.push({ name: 'pets/' });
  entries.push({ name: 'pets/.DS_Store', data: Buffer.from('junk') });
  entries.push({ name: '__MACOSX/pets/cat/._0.png', data: Buffer.from('resource fork') });
  entries.push({ name: 'pets/README.txt', data: Buffer.from('ignored') });
  const file = writeFile(dir, 'pets.zip', zip(entries));

  const dataset = await openDataset({ files: [file] }, { testFraction: 0.2, seed: 1 });
  assert.equal(dataset.format, 'imagefolder');
  assert.deepEqual(dataset.classNames, ['cat', 'dog']);
  assert.deepEqual(dataset.inputShape, [6, 8, 3], 'height 6, width 8: the most common size');
  assert.equal(dataset.testSplit, 'held_out');
  assert.equal(dataset.train.size + dataset.test.size, 11);
  assert.equal(dataset.test.size, 2);
  assert.deepEqual([...dataset.test.labels()].sort(), [0, 1], 'one test image per class');
  for (const split of [dataset.train, dataset.test]) {
    split.labels().forEach((label, i) => {
      // cat is class 0 and was drawn in classColour(1); dog in classColour(0). JPEG is lossy.
      const colour = classColour(label === 0 ? 1 : 0);
      const bytes = imageBytes(split, i);
      assert.equal(bytes.length, 6 * 8 * 3);
      bytes.forEach((v, k) => assert.ok(Math.abs(v - colour[k % 3]) <= 6, `class ${label} image ${i} byte ${k}: ${v}`));
    });
  }
  const summary = await inspectDataset({ files: [file] }, { testFraction: 0.2, seed: 1 });
  assert.deepEqual(summary, {
    format: 'imagefolder',
    name: 'imagefolder',
    inputShape: [6, 8, 3],
    classNames: ['cat', 'dog'],
    classCounts: [5, 4],
    testClassCounts: [1, 1],
    trainSize: 9,
    testSize: 2,
    testSplit: 'held_out',
  });
});

test('a tar.gz with train/ and test/ folders of grayscale PNGs gives a 1-channel dataset with exact pixels', async (t) => {
  const dir = tempDir(t);
  const gray = (v: number) => png(5, 3, (y, x) => [v + y + x, v + y + x, v + y + x], true);
  const archive = await tarball(
    [
      { name: 'digits/', type: 'directory' },
      { name: 'digits/train/zero/a.png', data: gray(10) },
      { name: 'digits/train/zero/b.png', data: gray(20) },
      { name: 'digits/train/one/a.png', data: gray(100) },
      { name: 'digits/val/one/v.png', data: gray(110) },
      { name: 'digits/test/one/t.png', data: gray(120) },
      { name: 'digits/test/zero/t.png', data: gray(30) },
    ],
    true,
  );
  const dataset = await openDataset({ files: [writeFile(dir, 'digits.tar.gz', archive)] });
  assert.deepEqual(dataset.inputShape, [3, 5, 1]);
  assert.deepEqual(dataset.classNames, ['one', 'zero']);
  assert.equal(dataset.testSplit, 'files');
  assert.deepEqual([...dataset.train.labels()], [0, 0, 1, 1], 'val/ joins train; ordered by class then path');
  assert.deepEqual([...dataset.test.labels()], [0, 1]);
  const expected = (v: number) => Array.from({ length: 15 }, (_, i) => v + Math.floor(i / 5) + (i % 5));
  assert.deepEqual(imageBytes(dataset.train, 0), expected(100), 'train/one/a.png');
  assert.deepEqual(imageBytes(dataset.train, 1), expected(110), 'val/one/v.png');
  assert.deepEqual(imageBytes(dataset.train, 3), expected(20), 'train/zero/b.png');
  assert.deepEqual(imageBytes(dataset.test, 1), expected(30), 'test/zero/t.png');
});

test('options: imageSize resizes, channels 1 turns colour into luma; mixed gray and colour images give RGB', async (t) => {
  const dir = tempDir(t);
  const archive = await tarball([
    { name: 'a/1.png', data: png(6, 6, flat([255, 0, 0])) },
    { name: 'a/2.png', data: png(6, 6, flat([255, 0, 0])) },
    { name: 'b/1.png', data: png(2, 2, flat([40, 40, 40]), true) },
    { name: 'b/2.png', data: png(6, 6, flat([40, 40, 40]), true) },
  ]);
  const file = writeFile(dir, 'mixed.tar', archive);
  const rgb = await openDataset({ files: [file] }, { testFraction: 0.5 });
  assert.deepEqual(rgb.inputShape, [6, 6, 3]);
  const all = [...rgb.train.labels(), ...rgb.test.labels()];
  assert.deepEqual(all.sort(), [0, 0, 1, 1]);
  const grayIndex = [...rgb.train.labels()].indexOf(1);
  assert.deepEqual(new Set(imageBytes(rgb.train, grayIndex)), new Set([40]), 'a gray image is replicated into 3 channels');

  const small = await openDataset({ files: [file] }, { imageSize: [3, 4], channels: 1, testFraction: 0.5 });
  assert.deepEqual(small.inputShape, [3, 4, 1]);
  const redIndex = [...small.train.labels()].indexOf(0);
  assert.deepEqual(new Set(imageBytes(small.train, redIndex)), new Set([Math.round(0.299 * 255)]), 'red in luma');
});

test('backslash separators (zips made on Windows) and an uncompressed zip are read too', async (t) => {
  const dir = tempDir(t);
  const archive = zip([
    { name: 'x\\1.png', data: png(2, 2, flat([1, 2, 3])), method: 0 },
    { name: 'x\\2.png', data: png(2, 2, flat([1, 2, 3])), method: 0 },
    { name: 'y\\1.png', data: png(2, 2, flat([9, 8, 7])), method: 0 },
    { name: 'y\\2.png', data: png(2, 2, flat([9, 8, 7])), method: 0 },
  ]);
  const summary = await inspectDataset({ files: [writeFile(dir, 'w.zip', archive)], format: 'imagefolder' }, { testFraction: 0.5 });
  assert.deepEqual(summary.classNames, ['x', 'y']);
  assert.deepEqual(summary.classCounts, [1, 1]);
});
