#!/usr/bin/env node
// Builds the native oneDNN addon (npm runs this as the package's install script). It never fails the
// install: when something is missing (Node's headers, a C++ compiler, oneDNN, Python for node-gyp), it
// prints one line saying why, records the reason in build/unavailable.txt for the engine to report,
// and exits 0; the engine order then falls back to wasm. It never downloads anything: node-gyp is
// pointed at the Node headers installed on this machine.
//
//   node scripts/build-addon.mjs          (TRAINYARD_SKIP_ONEDNN=1 skips the build)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(packageDir, 'build');
const note = join(buildDir, 'unavailable.txt');
const log = join(buildDir, 'build.log');

function unavailable(reason) {
  mkdirSync(buildDir, { recursive: true });
  rmSync(join(buildDir, 'Release'), { recursive: true, force: true });
  writeFileSync(note, `${reason}\n`);
  console.log(`@trainyard/engine-onednn: native oneDNN engine unavailable: ${reason}`);
  process.exit(0);
}

/** Node's own headers on this machine (a directory holding include/node/node_api.h and common.gypi). */
function nodeHeaders() {
  const candidates = [
    process.env.TRAINYARD_NODE_HEADERS,
    process.config?.variables?.node_prefix,
    resolve(dirname(process.execPath), '..'),
    '/usr',
    '/usr/local',
  ].filter(Boolean);
  return candidates.find((dir) => ['node_api.h', 'common.gypi'].every((f) => existsSync(join(dir, 'include', 'node', f))));
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  try {
    return createRequire(join(packageDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return null;
  }
}

/** Compiles and links a program that creates a oneDNN engine: the compiler, headers and library at once. */
function checkOnednn(compiler) {
  const program = '#include <oneapi/dnnl/dnnl.hpp>\nint main() { dnnl::engine engine(dnnl::engine::kind::cpu, 0); return 0; }\n';
  const output = join(buildDir, 'check-onednn');
  const result = spawnSync(compiler, ['-x', 'c++', '-std=c++17', '-', '-ldnnl', '-o', output], { input: program, encoding: 'utf8' });
  rmSync(output, { force: true });
  if (result.error) return `no C++ compiler (${compiler}: ${result.error.code ?? result.error.message})`;
  if (result.status === 0) return null;
  const firstError = (result.stderr.split('\n').find((line) => /error|cannot find/i.test(line)) ?? result.stderr.split('\n')[0]).trim();
  return /dnnl/.test(result.stderr)
    ? `oneDNN not found (install libdnnl-dev): ${firstError}`
    : `the C++ compiler cannot build against oneDNN: ${firstError}`;
}

if (process.env.TRAINYARD_SKIP_ONEDNN === '1') unavailable('skipped (TRAINYARD_SKIP_ONEDNN=1)');
mkdirSync(buildDir, { recursive: true });
const headers = nodeHeaders();
if (!headers) unavailable(`Node's headers (include/node/node_api.h) are not installed next to ${process.execPath}`);
const gyp = nodeGyp();
if (!gyp) unavailable('node-gyp is not installed');
const compiler = process.env.CXX || 'c++';
const problem = checkOnednn(compiler);
if (problem) unavailable(problem);

const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${headers}`, '--jobs=max'], {
  cwd: packageDir,
  encoding: 'utf8',
  env: { ...process.env, npm_config_nodedir: headers },
});
writeFileSync(log, `${result.stdout ?? ''}\n${result.stderr ?? ''}`);
if (result.status !== 0) {
  const lines = `${result.stderr ?? ''}`.split('\n');
  const reason = lines.find((line) => / error |error:/.test(line)) ?? lines.find((line) => line.includes('ERR!')) ?? 'node-gyp failed';
  unavailable(`the addon failed to build (${reason.trim()}; see ${log})`);
}
rmSync(note, { force: true });
console.log(`@trainyard/engine-onednn: native oneDNN engine built (${join('build', 'Release', 'trainyard_onednn.node')})`);
