import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isCnnError } from '../src/errors.js';
import { InMemorySplit, countClasses, resizeBilinear, stratifiedSplit, subsetSplit } from '../src/data/index.js';

test('InMemorySplit reads the requested examples in order, scaled to [0, 1]', () => {
  const pixels = Uint8Array.from([0, 255, 51, 102, 10, 20]); // three 1x2x1 images
  const split = new InMemorySplit(pixels, Int32Array.from([2, 0, 1]), [1, 2, 1]);
  const batch = split.read([2, 0, 2]);
  assert.equal(batch.size, 3);
  assert.deepEqual([...batch.y], [1, 2, 1]);
  assert.deepEqual([...batch.x], [10 / 255, 20 / 255, 0, 1, 10 / 255, 20 / 255].map(Math.fround));
  assert.ok(batch.x instanceof Float32Array);
  assert.deepEqual([...split.labels()], [2, 0, 1]);
});

test('a split refuses indices out of range and pixel buffers of the wrong size', () => {
  const split = new InMemorySplit(new Uint8Array(4), Int32Array.from([0, 1]), [1, 2, 1]);
  for (const bad of [2, -1, 0.5, NaN]) {
    assert.throws(
      () => split.read([bad]),
      (e: unknown) => isCnnError(e, 'invalid_option'),
    );
  }
  assert.throws(
    () => new InMemorySplit(new Uint8Array(5), Int32Array.from([0, 1]), [1, 2, 1]),
    (e: unknown) => isCnnError(e, 'invalid_option'),
  );
});

test('subsetSplit maps its indices onto the parent split', () => {
  const pixels = Uint8Array.from({ length: 5 }, (_, i) => i * 50);
  const parent = new InMemorySplit(pixels, Int32Array.from([0, 1, 0, 1, 0]), [1, 1, 1]);
  const subset = subsetSplit(parent, [4, 1, 3]);
  assert.equal(subset.size, 3);
  assert.deepEqual([...subset.labels()], [0, 1, 1]);
  assert.deepEqual([...subset.read([2, 0]).x], [150 / 255, 200 / 255].map(Math.fround));
  const nested = subsetSplit(subset, [1]);
  assert.deepEqual([...nested.read([0]).x], [Math.fround(50 / 255)]);
  assert.throws(
    () => subset.read([3]),
    (e: unknown) => isCnnError(e, 'invalid_option'),
  );
  assert.throws(
    () => subsetSplit(parent, [5]),
    (e: unknown) => isCnnError(e, 'invalid_option'),
  );
});

test('stratifiedSplit holds out the same share of every class, seeded', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 600 ? 0 : i < 900 ? 1 : 2));
  const { kept, heldOut } = stratifiedSplit(labels, 0.2, 7);
  assert.equal(heldOut.length, 200);
  assert.equal(kept.length + heldOut.length, 1000);
  assert.deepEqual(countClasses(heldOut.map((i) => labels[i])), [120, 60, 20]);
  assert.equal(new Set([...kept, ...heldOut]).size, 1000, 'kept and held out are disjoint and cover everything');
  assert.deepEqual(
    [...heldOut],
    [...heldOut].sort((a, b) => a - b),
    'ascending',
  );
  assert.deepEqual(stratifiedSplit(labels, 0.2, 7), { kept, heldOut }, 'same seed, same split');
  assert.notDeepEqual([...stratifiedSplit(labels, 0.2, 8).heldOut], [...heldOut], 'another seed, another split');
});

test('stratifiedSplit reaches the overall target by largest remainder and keeps one example per class', () => {
  const labels = Int32Array.from({ length: 30 }, (_, i) => i % 10); // 3 per class
  const { heldOut } = stratifiedSplit(labels, 0.1, 0);
  assert.equal(heldOut.length, 3, 'round(30 * 0.1), though every class alone would round to 0');
  const single = stratifiedSplit(Int32Array.from([0, 1, 1, 1]), 0.5, 0);
  assert.ok(single.kept.includes(0), 'a class with one example keeps it');
  assert.equal(stratifiedSplit(labels, 0, 0).heldOut.length, 0);
  assert.throws(
    () => stratifiedSplit(labels, 1, 0),
    (e: unknown) => isCnnError(e, 'invalid_option'),
  );
});

test('resizeBilinear samples at half-pixel centres', () => {
  // 4x4 single channel, value = 16 * y + 4 * x; halving averages each 2x2 block.
  const src = Uint8Array.from({ length: 16 }, (_, i) => 16 * Math.floor(i / 4) + 4 * (i % 4));
  const out = new Uint8Array(4);
  resizeBilinear(src, 4, 4, 1, out, 2, 2);
  assert.deepEqual([...out], [10, 18, 42, 50]);
  // Upscaling 1x2 to 1x4: positions -0.25, 0.25, 0.75, 1.25 clamp to [0, 1].
  const up = new Uint8Array(4);
  resizeBilinear(Uint8Array.from([0, 200]), 1, 2, 1, up, 1, 4);
  assert.deepEqual([...up], [0, 50, 150, 200]);
  const same = new Uint8Array(16);
  resizeBilinear(src, 4, 4, 1, same, 4, 4);
  assert.deepEqual(same, src);
});

test('nothing under src/data imports TensorFlow.js, even through other modules', () => {
  // The API imports @trainyard/cnn/data to validate uploads and must not load tfjs: follow every
  // runtime import of the compiled files, starting from data/index.js.
  const distSrc = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
  const start = join(distSrc, 'data/index.js');
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const match of code.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g,
    )) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else packages.add(specifier);
    }
  };
  visit(start);
  assert.ok(seen.size > 10, `followed ${seen.size} files`);
  const tfjs = [...packages].filter((p) => p.includes('tensorflow'));
  assert.deepEqual(tfjs, [], `packages reached from data/index.js: ${[...packages].join(', ')}`);
  const shared = ['errors.js', 'types.js', 'env.js'].map((name) => join(distSrc, name));
  const outside = [...seen].filter((f) => !f.startsWith(join(distSrc, 'data')) && !shared.includes(f));
  assert.deepEqual(outside, [], 'data imports only ../errors.js, ../types.js and ../env.js (its variables) from the rest of the package');
  // Sanity: the walk does find packages.
  assert.ok(packages.has('yauzl') && packages.has('pngjs'));
  assert.ok(readdirSync(join(distSrc, 'data')).length > 0 && statSync(start).isFile());
});
