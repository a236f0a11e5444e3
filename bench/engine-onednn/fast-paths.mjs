#!/usr/bin/env node
// What each fast path of the onednn engine brings: `trainyard bench` with all of them, then with each
// one left out (TRAINYARD_ONEDNN_SKIP), then with none. One OpenMP thread by default, so that the
// other jobs on a shared machine disturb the comparison less (--threads 2 to change).
//
//   npm run build && node bench/engine-onednn/fast-paths.mjs [--model resnet20] [--input 32,32,3] [--threads 1]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'lenet5' },
    input: { type: 'string', default: '28,28,1' },
    threads: { type: 'string', default: '1' },
  },
});
const PATHS = ['fused-ops', 'batch-norm', 'softmax-cross-entropy', 'optimizers', 'relu-gradient', 'conv-pool'];
const configurations = [['all fast paths', ''], ...PATHS.map((p) => [`without ${p}`, p]), ['none', PATHS.join(',')]];
const rows = [];
for (const [label, skip] of configurations) {
  const load = loadavg()[0];
  const result = spawnSync(
    process.execPath,
    [join(root, 'services/cli/dist/src/main.js'), 'bench', '--model', values.model, '--input', values.input, '--batch', '64', '--json'],
    { encoding: 'utf8', env: { ...process.env, TRAINYARD_ENGINE: 'onednn', TRAINYARD_ONEDNN_SKIP: skip, OMP_NUM_THREADS: values.threads } },
  );
  if (result.status !== 0) throw new Error(result.stderr.slice(-2000));
  const json = JSON.parse(result.stdout.trim().split('\n').pop());
  rows.push({ configuration: label, load: +load.toFixed(2), train: json.trainImagesPerSec, eval: json.evalImagesPerSec });
}
console.table(rows);
console.log(JSON.stringify(rows));
