/**
 * tfjs is pinned to the exact version whose internals the project patches (every package.json and the
 * root overrides), and the start-up check finds every member it relies on, and names one that is gone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { checkTfjsInternals, missingTfjsMembers, PINNED_TFJS_VERSION } from '../src/engine/tfjs-internals.js';

const root = new URL('../../../../', import.meta.url);
const manifest = (path: string) => JSON.parse(readFileSync(new URL(`${path}/package.json`, root), 'utf8'));

test('every @tensorflow/* dependency is the exact pinned version, and the root overrides hold every tfjs package to it', () => {
  const rootManifest = manifest('.');
  for (const path of ['.', ...(rootManifest.workspaces as string[])]) {
    const { dependencies = {}, devDependencies = {}, optionalDependencies = {} } = manifest(path);
    for (const [name, version] of Object.entries({ ...dependencies, ...devDependencies, ...optionalDependencies })) {
      if (name.startsWith('@tensorflow/')) assert.equal(version, PINNED_TFJS_VERSION, `${path}: ${name}`);
    }
  }
  for (const name of [
    'tfjs',
    'tfjs-core',
    'tfjs-layers',
    'tfjs-converter',
    'tfjs-data',
    'tfjs-backend-cpu',
    'tfjs-backend-webgl',
    'tfjs-backend-wasm',
  ]) {
    assert.equal(rootManifest.overrides[`@tensorflow/${name}`], PINNED_TFJS_VERSION, name);
  }
  assert.equal(tf.version.tfjs, PINNED_TFJS_VERSION, 'the installed tfjs');
});

test('the start-up check finds every patched member, and names the one that is missing', () => {
  assert.deepEqual(missingTfjsMembers(), []);
  checkTfjsInternals();
  const prototype = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call?: unknown };
  const call = prototype.call;
  delete prototype.call;
  try {
    assert.deepEqual(missingTfjsMembers(), ['BatchNormalization.prototype.call']);
  } finally {
    prototype.call = call;
  }
  assert.deepEqual(missingTfjsMembers(), []);
});
