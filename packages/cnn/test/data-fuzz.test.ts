/**
 * Random damage to valid dataset files (seeded, so failures reproduce): every outcome must be a
 * dataset or a CnnError, never another exception, a crash or a hang.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import seedrandom from 'seedrandom';
import { isCnnError } from '../src/errors.js';
import { openDataset, type DatasetSource } from '../src/data/index.js';
import { cifarBatch, gzipSync, idxPair, png, jpegImage, tarball, tempDir, writeFile, zip } from './data-fixtures.js';

type Mutation = (bytes: Buffer, random: () => number) => Buffer;

const mutations: Record<string, Mutation> = {
  truncate: (b, r) => b.subarray(0, Math.floor(r() * b.length)),
  flipBytes: (b, r) => {
    const out = Buffer.from(b);
    for (let i = 0; i < 1 + Math.floor(r() * 8); i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return out;
  },
  zeroRun: (b, r) => {
    const out = Buffer.from(b);
    const start = Math.floor(r() * out.length);
    out.fill(0, start, Math.min(out.length, start + 1 + Math.floor(r() * 64)));
    return out;
  },
  ffRun: (b, r) => {
    const out = Buffer.from(b);
    const start = Math.floor(r() * out.length);
    out.fill(0xff, start, Math.min(out.length, start + 1 + Math.floor(r() * 16)));
    return out;
  },
  append: (b, r) => Buffer.concat([b, Buffer.from(Array.from({ length: 1 + Math.floor(r() * 100) }, () => Math.floor(r() * 256)))]),
};

test('randomly damaged IDX, CIFAR, zip and tar.gz files give a dataset or a CnnError, never anything else', async (t) => {
  const dir = tempDir(t);
  const images = [0, 1, 2, 3].map((c) => ({
    name: `set/c${c % 2}/${c}.${c % 2 ? 'jpg' : 'png'}`,
    data: c % 2 ? jpegImage(6, 5, () => [c * 40, 10, 90]) : png(6, 5, () => [c * 40, 10, 90]),
  }));
  const pair = idxPair(8, 2);
  const originals: Array<{ name: string; bytes: Buffer; others?: Array<{ name: string; bytes: Buffer }> }> = [
    { name: 'set.zip', bytes: zip(images) },
    { name: 'set-stored.zip', bytes: zip(images.map((e) => ({ ...e, method: 0 as const }))) },
    { name: 'set.tar.gz', bytes: await tarball(images, true) },
    { name: 'set.tar', bytes: await tarball(images, false) },
    { name: 'data_batch_1.bin', bytes: cifarBatch([[0], [1], [0], [1]]) },
    { name: 'images.gz', bytes: gzipSync(pair.images), others: [{ name: 'labels', bytes: pair.labels }] },
    { name: 'labels', bytes: pair.labels, others: [{ name: 'images', bytes: pair.images }] },
  ];
  const random = seedrandom('data-fuzz');
  let opened = 0;
  let refused = 0;
  for (const original of originals) {
    for (const [mutationName, mutate] of Object.entries(mutations)) {
      for (let round = 0; round < 4; round++) {
        const damaged = mutate(original.bytes, random);
        const files = [writeFile(dir, original.name, damaged), ...(original.others ?? []).map((o) => writeFile(dir, o.name, o.bytes))];
        const source: DatasetSource = { files };
        const label = `${original.name} ${mutationName} #${round}`;
        try {
          const dataset = await openDataset(source, { testFraction: 0.5 });
          assert.ok(dataset.train.size > 0, label);
          opened++;
        } catch (error) {
          assert.ok(isCnnError(error), `${label}: ${(error as Error)?.stack ?? String(error)}`);
          refused++;
        }
      }
    }
  }
  assert.equal(opened + refused, originals.length * Object.keys(mutations).length * 4);
  assert.ok(refused > opened, `most damage is caught (${refused} refused, ${opened} opened)`);
});
