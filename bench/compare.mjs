#!/usr/bin/env node
// Runs Trainyard and the PyTorch reference (bench/torch_reference.py) side by side on this
// machine and prints one table with the ratio. Needs `npm run build` and Debian's python3-torch.
//
//   node bench/compare.mjs throughput            # LeNet-5 28x28x1 and ResNet-20 32x32x3, batch 64
//   node bench/compare.mjs accuracy              # Fashion-MNIST LeNet-5: 5 epochs plain, 10 normalised+cosine
//   node bench/compare.mjs throughput --only trainyard   # skip PyTorch
//
// Each run's JSON is appended to bench/results/<task>.jsonl with the date and commit (bench/record.mjs), so README numbers can be traced.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordResult } from './record.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const torchScript = process.env.TORCH_REFERENCE ?? resolve(root, 'bench/torch_reference.py');
const cli = join(root, 'services/cli/dist/src/main.js');
const [task = 'throughput', ...rest] = process.argv.slice(2);
const only = rest.includes('--only') ? rest[rest.indexOf('--only') + 1] : null;

/** Runs a command, measures its peak resident memory with /usr/bin/time, returns its last JSON line. */
function run(label, command, args, env = {}) {
  process.stderr.write(`# ${label}: ${[command, ...args].join(' ')}\n`);
  const timed = existsSync('/usr/bin/time');
  const result = spawnSync(timed ? '/usr/bin/time' : command, timed ? ['-f', 'peakKiB=%M', command, ...args] : args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`${label} failed (${result.status}):\n${result.stderr.slice(-2000)}`);
  const lines = result.stdout.trim().split('\n');
  const json = JSON.parse(lines[lines.length - 1]);
  const peak = /peakKiB=(\d+)/.exec(result.stderr);
  if (peak) json.peakMemoryMiB = Math.round(Number(peak[1]) / 1024);
  return json;
}

const torch = (args) => run('pytorch', '/usr/bin/python3', [torchScript, ...args], { OPENBLAS_NUM_THREADS: '1' });
const trainyard = (args) => run('trainyard', process.execPath, [cli, ...args, '--json']);

const rows = [];
if (task === 'throughput') {
  for (const [model, input] of [
    ['lenet5', '28,28,1'],
    ['resnet20', '32,32,3'],
  ]) {
    const ours = only === 'pytorch' ? null : trainyard(['bench', '--model', model, '--input', input, '--batch', '64']);
    const ref = only === 'trainyard' ? null : torch(['throughput', '--model', model, '--input', input]);
    for (const r of [ours, ref]) if (r) recordResult('throughput', r);
    rows.push({
      model,
      input,
      engine: ours?.engine,
      trainImagesPerSec: ours?.trainImagesPerSec,
      torchTrain: ref?.trainImagesPerSec,
      trainRatio: ours && ref ? +(ours.trainImagesPerSec / ref.trainImagesPerSec).toFixed(3) : null,
      evalImagesPerSec: ours?.evalImagesPerSec,
      torchEval: ref?.evalImagesPerSec,
      evalRatio: ours && ref ? +(ours.evalImagesPerSec / ref.evalImagesPerSec).toFixed(3) : null,
      peakMiB: ours?.peakMemoryMiB,
      torchPeakMiB: ref?.peakMemoryMiB,
    });
  }
} else if (task === 'accuracy') {
  const recipes = [
    { name: '5 epochs plain', ours: ['--epochs', '5'], ref: ['--epochs', '5'] },
    {
      name: '10 epochs normalised, cosine',
      ours: ['--epochs', '10', '--normalize', '--schedule', 'cosine'],
      ref: ['--epochs', '10', '--normalize', '--schedule', 'cosine'],
    },
  ];
  for (const recipe of recipes) {
    const out = join(root, 'data/bench-models', recipe.ours.join('_').replace(/-/g, ''));
    const ours =
      only === 'pytorch'
        ? null
        : trainyard([
            'train',
            '--model',
            'lenet5',
            '--dataset',
            'fashion-mnist',
            '--batch-size',
            '64',
            '--optimizer',
            'adam',
            '--learning-rate',
            '0.001',
            ...recipe.ours,
            '--out',
            out,
          ]);
    const ref = only === 'trainyard' ? null : torch(['fashion-mnist', ...recipe.ref]);
    for (const r of [ours, ref]) if (r) recordResult('accuracy', { recipe: recipe.name, ...r });
    rows.push({
      recipe: recipe.name,
      engine: ours?.engine,
      testAccuracy: ours?.testAccuracy,
      torchTestAccuracy: ref?.testAccuracy,
      differencePoints: ours && ref ? +((ours.testAccuracy - ref.testAccuracy) * 100).toFixed(2) : null,
      trainSeconds: ours?.trainSeconds,
      torchTrainSeconds: ref?.trainSeconds,
    });
  }
} else {
  process.stderr.write('usage: node bench/compare.mjs throughput|accuracy [--only trainyard|pytorch]\n');
  process.exit(2);
}
console.table(rows);
console.log(JSON.stringify(rows));
