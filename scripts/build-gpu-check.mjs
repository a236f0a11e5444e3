#!/usr/bin/env node
// `npm run build:gpu-check`: the GPU check as files to copy to a GPU machine that has a driver but no
// Node, no network and no project install (bench/gpu/check.sh says what it measures):
//   dist/gpu-check/check.sh                      unpacks the bundle in a fresh folder and runs it
//   dist/gpu-check/trainyard-gpu-check.tar.gz    gpu-check.mjs (bench/gpu/gpu-check.mjs and everything it
//                                                imports, bundled by rolldown), dawn.node, tfjs's wasm files,
//                                                bench/torch_reference.py, this machine's node binary
// The two files together must stay within 64 MiB; the build fails otherwise.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const LIMIT_BYTES = 64 * 1024 * 1024;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'gpu-check');
const staging = join(out, 'bundle');
const require = createRequire(join(root, 'packages', 'cnn', 'package.json'));

rmSync(out, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });

const bundle = await rolldown({ input: join(root, 'bench', 'gpu', 'gpu-check.mjs'), platform: 'node', logLevel: 'warn' });
await bundle.write({ file: join(staging, 'gpu-check.mjs'), format: 'esm', codeSplitting: false });
await bundle.close();

// The webgpu package loads dist/<platform>-<arch>/dawn.node relative to its module: now the bundle.
const dawnDir = join(staging, 'dist', `${process.platform}-${process.arch}`);
mkdirSync(dawnDir, { recursive: true });
copyFileSync(
  join(dirname(require.resolve('webgpu')), 'dist', `${process.platform}-${process.arch}`, 'dawn.node'),
  join(dawnDir, 'dawn.node'),
);
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'wasm-out');
for (const file of readdirSync(wasmDir).filter((name) => name.endsWith('.wasm'))) copyFileSync(join(wasmDir, file), join(staging, file));
copyFileSync(join(root, 'bench', 'torch_reference.py'), join(staging, 'torch_reference.py'));
copyFileSync(process.execPath, join(staging, 'node'));
chmodSync(join(staging, 'node'), 0o755);
writeFileSync(
  join(staging, 'build-info.json'),
  JSON.stringify({ commit: commit(), node: process.version, builtAt: new Date().toISOString() }) + '\n',
);

const tarball = join(out, 'trainyard-gpu-check.tar.gz');
execFileSync('tar', ['-czf', tarball, '-C', staging, '.'], { stdio: 'inherit' });
rmSync(staging, { recursive: true });
copyFileSync(join(root, 'bench', 'gpu', 'check.sh'), join(out, 'check.sh'));
chmodSync(join(out, 'check.sh'), 0o755);

const total = statSync(tarball).size + statSync(join(out, 'check.sh')).size;
const mib = (total / 1024 / 1024).toFixed(1);
if (total > LIMIT_BYTES) {
  console.error(`build-gpu-check: ${mib} MiB is over the 64 MiB limit`);
  process.exit(1);
}
console.log(`build-gpu-check: ${out} (${mib} MiB): copy check.sh and trainyard-gpu-check.tar.gz, then run ./check.sh`);

/** The commit the bundle is built from, marked dirty when the tree has changes. */
function commit() {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}
