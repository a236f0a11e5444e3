#!/usr/bin/env node
// Run by docker/worker-gpu.Dockerfile only: `node graft-engine.mjs ENGINE_DIR APP_DIR`.
// ENGINE_DIR is this folder after `npm ci` (.npmrc installs shallow: tfjs-node-gpu at the top, all its
// dependencies inside its own node_modules). The package is moved into APP_DIR/node_modules, where the
// CNN package's import finds it, after removing its own copies of TensorFlow.js: it must register its
// backend with the one tfjs-core the models use (the engine refuses to load otherwise), so each
// removed copy must be the very version the app already has.
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const PACKAGE = '@tensorflow/tfjs-node-gpu';
const [engineDir, appDir] = process.argv.slice(2);
if (!engineDir || !appDir) {
  console.error('usage: node graft-engine.mjs ENGINE_DIR APP_DIR');
  process.exit(2);
}

const source = join(engineDir, 'node_modules', PACKAGE);
const target = join(appDir, 'node_modules', PACKAGE);
const version = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;

const nestedScope = join(source, 'node_modules', '@tensorflow');
const shared = existsSync(nestedScope) ? readdirSync(nestedScope) : [];
const mismatches = [];
for (const name of shared) {
  const appCopy = join(appDir, 'node_modules', '@tensorflow', name);
  const wanted = version(join(nestedScope, name));
  const have = existsSync(appCopy) ? version(appCopy) : 'none';
  if (wanted !== have) mismatches.push(`@tensorflow/${name}: ${PACKAGE} needs ${wanted}, the app has ${have}`);
}
if (mismatches.length > 0) {
  console.error(`graft-engine: ${PACKAGE} cannot share the app's TensorFlow.js:\n  ${mismatches.join('\n  ')}`);
  process.exit(1);
}
for (const name of shared) rmSync(join(nestedScope, name), { recursive: true });
if (existsSync(target)) {
  console.error(`graft-engine: ${target} already exists; the root lockfile must never contain ${PACKAGE}`);
  process.exit(1);
}
// A copy, not a rename: a rename across the image's layers can fail (EXDEV).
cpSync(source, target, { recursive: true, verbatimSymlinks: true });
rmSync(source, { recursive: true });

// Where the CNN package imports it from, tfjs-node-gpu and the models now resolve one tfjs-core.
const fromCnn = createRequire(join(appDir, 'packages', 'cnn', 'package.json'));
const fromEngine = createRequire(fromCnn.resolve(PACKAGE));
if (fromEngine.resolve('@tensorflow/tfjs-core') !== fromCnn.resolve('@tensorflow/tfjs-core')) {
  console.error(`graft-engine: ${PACKAGE} resolves another @tensorflow/tfjs-core than the CNN package`);
  process.exit(1);
}
console.log(`graft-engine: ${PACKAGE} ${version(target)} in ${target}, sharing @tensorflow/${shared.join(', @tensorflow/')}`);
