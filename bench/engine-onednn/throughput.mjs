#!/usr/bin/env node
// Trainyard's `bench` and PyTorch's reference side by side, alternating, several rounds: the machine is
// shared, so each round runs ours and PyTorch's back to back and the ratio is taken per round; the
// table gives each round's ratio, the median, the load average around the round, peak memory (from
// /usr/bin/time) and the fraction of the machine's fp32 peak the training step reaches.
//
//   npm run build && node bench/engine-onednn/throughput.mjs [--rounds 3] [--models lenet5,resnet20]
//                                                            [--peak-gflops 300] [--env KEY=VALUE]
//
// --env passes a variable to Trainyard's runs only (e.g. OMP_NUM_THREADS=1, TRAINYARD_ONEDNN_SKIP=...).
// Results are appended to bench/results/engine-onednn.jsonl.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const torchScript = process.env.TORCH_REFERENCE ?? resolve(root, 'bench/torch_reference.py');
const cli = join(root, 'services/cli/dist/src/main.js');
const INPUTS = { lenet5: '28,28,1', resnet20: '32,32,3' };

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    models: { type: 'string', default: 'lenet5,resnet20' },
    'peak-gflops': { type: 'string', default: '300' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const extraEnv = Object.fromEntries(values.env.map((pair) => pair.split('=')));

function run(command, args, env) {
  const timed = existsSync('/usr/bin/time');
  const result = spawnSync(timed ? '/usr/bin/time' : command, timed ? ['-f', 'peakKiB=%M', command, ...args] : args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr.slice(-2000)}`);
  const lines = result.stdout.trim().split('\n');
  const json = JSON.parse(lines[lines.length - 1]);
  const peak = /peakKiB=(\d+)/.exec(result.stderr);
  if (peak) json.peakMiB = Math.round(Number(peak[1]) / 1024);
  return json;
}

/** Multiply-adds of one forward pass per image x 2 (FLOPs), x 3 for a training step (forward, both gradients). */
async function trainingFlopsPerImage(model, input) {
  const { buildModel, disposeBuiltModel } = await import(join(root, 'packages/cnn/dist/src/index.js'));
  const built = buildModel(model, { inputShape: input.split(',').map(Number), classes: 10 });
  let macs = 0;
  for (const layer of built.training.layers) {
    const kernel = layer.getWeights().find((w) => w.rank >= 2);
    if (!kernel) continue;
    const out = layer.outputShape;
    const positions = out.length === 4 ? out[1] * out[2] : 1;
    macs += positions * kernel.size;
  }
  disposeBuiltModel(built);
  return 3 * 2 * macs;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const model of values.models.split(',')) {
  const input = INPUTS[model];
  const flops = await trainingFlopsPerImage(model, input);
  const rounds = [];
  for (let r = 0; r < Number(values.rounds); r++) {
    const loadBefore = loadavg()[0];
    const ours = run(process.execPath, [cli, 'bench', '--model', model, '--input', input, '--batch', '64', '--json'], extraEnv);
    const torch = run('/usr/bin/python3', [torchScript, 'throughput', '--model', model, '--input', input], { OPENBLAS_NUM_THREADS: '1' });
    const round = {
      model,
      input,
      round: r + 1,
      load: +((loadBefore + loadavg()[0]) / 2).toFixed(2),
      engine: ours.engine,
      threads: ours.threads,
      env: extraEnv,
      train: ours.trainImagesPerSec,
      torchTrain: torch.trainImagesPerSec,
      trainRatio: +(ours.trainImagesPerSec / torch.trainImagesPerSec).toFixed(3),
      eval: ours.evalImagesPerSec,
      torchEval: torch.evalImagesPerSec,
      evalRatio: +(ours.evalImagesPerSec / torch.evalImagesPerSec).toFixed(3),
      peakMiB: ours.peakMiB,
      torchPeakMiB: torch.peakMiB,
      trainGflops: +((ours.trainImagesPerSec * flops) / 1e9).toFixed(1),
      fractionOfPeak: +((ours.trainImagesPerSec * flops) / 1e9 / Number(values['peak-gflops'])).toFixed(3),
    };
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    appendFileSync(join(root, 'bench/results/engine-onednn.jsonl'), JSON.stringify({ date: new Date().toISOString(), ...round }) + '\n');
    rounds.push(round);
    rows.push(round);
  }
  rows.push({
    model,
    input,
    round: 'median',
    load: median(rounds.map((r) => r.load)),
    train: median(rounds.map((r) => r.train)),
    torchTrain: median(rounds.map((r) => r.torchTrain)),
    trainRatio: median(rounds.map((r) => r.trainRatio)),
    eval: median(rounds.map((r) => r.eval)),
    torchEval: median(rounds.map((r) => r.torchEval)),
    evalRatio: median(rounds.map((r) => r.evalRatio)),
    peakMiB: median(rounds.map((r) => r.peakMiB)),
    torchPeakMiB: median(rounds.map((r) => r.torchPeakMiB)),
    fractionOfPeak: median(rounds.map((r) => r.fractionOfPeak)),
  });
}
const columns = [
  'model',
  'round',
  'load',
  'train',
  'torchTrain',
  'trainRatio',
  'eval',
  'torchEval',
  'evalRatio',
  'peakMiB',
  'torchPeakMiB',
  'fractionOfPeak',
];
console.table(rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))));
console.log(JSON.stringify(rows));
