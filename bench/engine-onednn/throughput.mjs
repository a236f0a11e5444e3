#!/usr/bin/env node
// Trainyard's `bench` and PyTorch's reference side by side, alternating, several rounds: the machine is
// shared, so each round runs ours and PyTorch's back to back (in alternating order) and the ratio is
// taken per round; the table gives each round's ratio, the median, the load average around the round,
// peak memory (each side's own process, its maximum resident set size from /usr/bin/time; PyTorch's
// process runs both memory layouts, which adds about 2 MiB to its peak on ResNet-20) and the fraction
// of the machine's fp32 peak the training step reaches. A round that starts with the 1-minute load average above --max-load is discarded and run
// again (../rounds.mjs); the commit (with a dirty flag) and the rule are recorded with every row.
//
//   npm run build && node bench/engine-onednn/throughput.mjs [--rounds 5] [--models lenet5,resnet20]
//                    [--peak-gflops 300] [--env KEY=VALUE] [--max-load 1.5] [--settle 180] [--batch B]
//
// Models: lenet5 and resnet20 (batch 64), resnet18, densenet121 and googlenet (64x64x3, batch 32), issue
// 17's sizes; --batch 1 measures single-image latency (the evalMs columns).
// --env passes a variable to Trainyard's runs only (e.g. OMP_NUM_THREADS=1, TRAINYARD_ONEDNN_SKIP=...).
// Results are appended to bench/results/engine-onednn.jsonl.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { recordResult } from '../record.mjs';
import { alternatingRounds, benchContext, median, runSide, TORCH_REFERENCE } from '../rounds.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(root, 'services/cli/dist/src/main.js');
/** Issue 17's input size and batch of each model; --batch overrides the batch (1: latency). */
const PRESETS = {
  lenet5: { input: '28,28,1', batch: 64 },
  resnet20: { input: '32,32,3', batch: 64 },
  resnet18: { input: '64,64,3', batch: 32 },
  densenet121: { input: '64,64,3', batch: 32 },
  googlenet: { input: '64,64,3', batch: 32 },
};

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'max-load': { type: 'string', default: '1.5' },
    batch: { type: 'string' },
    settle: { type: 'string', default: '180' },
    models: { type: 'string', default: 'lenet5,resnet20' },
    'peak-gflops': { type: 'string', default: '300' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const extraEnv = Object.fromEntries(values.env.map((pair) => pair.split('=')));

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

const maxLoad = Number(values['max-load']);
const context = benchContext({ bench: 'engine-onednn throughput', maxLoad });
const rows = [];
for (const model of values.models.split(',')) {
  if (!PRESETS[model]) throw new Error(`--models: ${model} is not one of ${Object.keys(PRESETS).join(', ')}`);
  const { input } = PRESETS[model];
  const batch = String(values.batch ?? PRESETS[model].batch);
  const flops = await trainingFlopsPerImage(model, input);
  const rounds = [];
  const { kept, discarded } = await alternatingRounds({
    rounds: Number(values.rounds),
    maxLoad,
    settleSeconds: Number(values.settle),
    log: (message) => process.stderr.write(`# ${model}: ${message}\n`),
    sides: {
      ours: async () => runSide(process.execPath, [cli, 'bench', '--model', model, '--input', input, '--batch', batch, '--json'], extraEnv),
      torch: async () =>
        runSide('/usr/bin/python3', [TORCH_REFERENCE, 'throughput', '--model', model, '--input', input, '--batch', batch], {
          OPENBLAS_NUM_THREADS: '1',
        }),
    },
  });
  for (const { round: number, order, loadAtStart, loadAtEnd, results } of [...kept, ...discarded]) {
    const { ours, torch } = results;
    const round = {
      model,
      input,
      batch: Number(batch),
      round: number,
      order: order.join('>'),
      discarded: loadAtStart > maxLoad,
      load: +((loadAtStart + loadAtEnd) / 2).toFixed(2),
      loadAtStart,
      engine: ours.engine,
      threads: ours.threads,
      env: extraEnv,
      train: ours.trainImagesPerSec,
      torchTrain: torch.trainImagesPerSec,
      trainRatio: +(ours.trainImagesPerSec / torch.trainImagesPerSec).toFixed(3),
      eval: ours.evalImagesPerSec,
      torchEval: torch.evalImagesPerSec,
      evalRatio: +(ours.evalImagesPerSec / torch.evalImagesPerSec).toFixed(3),
      // One eval step's milliseconds: at --batch 1, the latency of a single image.
      evalMs: +((1000 * Number(batch)) / ours.evalImagesPerSec).toFixed(3),
      torchEvalMs: +((1000 * Number(batch)) / torch.evalImagesPerSec).toFixed(3),
      peakMiB: ours.peakMiB,
      torchPeakMiB: torch.peakMiB,
      trainGflops: +((ours.trainImagesPerSec * flops) / 1e9).toFixed(1),
      fractionOfPeak: +((ours.trainImagesPerSec * flops) / 1e9 / Number(values['peak-gflops'])).toFixed(3),
    };
    recordResult('engine-onednn', { ...context, ...round });
    if (round.discarded) continue;
    rounds.push(round);
    rows.push(round);
  }
  if (discarded.length > 0) process.stderr.write(`# ${model}: ${discarded.length} round(s) discarded (load > ${maxLoad})\n`);
  rows.push({
    model,
    input,
    batch: Number(batch),
    round: 'median',
    evalMs: median(rounds.map((r) => r.evalMs)),
    torchEvalMs: median(rounds.map((r) => r.torchEvalMs)),
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
  'evalMs',
  'torchEvalMs',
  'peakMiB',
  'torchPeakMiB',
  'fractionOfPeak',
];
console.table(rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))));
console.log(JSON.stringify({ ...context, rows }));
