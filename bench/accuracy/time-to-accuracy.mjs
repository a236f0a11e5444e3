#!/usr/bin/env node
// Time to accuracy (issue 17): LeNet-5 on Fashion-MNIST to 89% test accuracy, Trainyard beside
// PyTorch with the same recipe: normalised inputs, batch 64, Adam 1e-3, a cosine schedule over 10
// epochs, all 60,000 training images, the test set evaluated at each epoch's end; each side stops at
// the first epoch that reaches the target. Trainyard is fashion-mnist.mjs (runTraining, the engine
// initEngine picks), PyTorch bench/torch_reference.py fashion-mnist; each runs in its own process.
// Rounds alternate the order of the two sides (../rounds.mjs); a round that starts with the 1-minute
// load average above --max-load is discarded and run again. Every round is appended to
// bench/results/time-to-accuracy.jsonl with the commit (../record.mjs); the verdict is the median.
//
//   npm run build && node bench/accuracy/time-to-accuracy.mjs [--rounds 5] [--target 0.89] [--epochs 10]
//                    [--seed 55] [--max-load 1.5] [--settle 180]
//
// Per side and round: the epoch that reached the target, the seconds from the first epoch's start to
// the end of that epoch's test evaluation (secondsToTarget), the same without the test evaluations
// (trainSecondsToTarget), and the whole process's wall-clock (start-up, data, the final evaluation
// and, for Trainyard, the export included) and its peak resident memory. A side that never reaches the target within --epochs
// counts as missing in its round.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { recordResult } from '../record.mjs';
import { alternatingRounds, benchContext, median, runSide, TORCH_REFERENCE } from '../rounds.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    target: { type: 'string', default: '0.89' },
    epochs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '55' },
    'max-load': { type: 'string', default: '1.5' },
    settle: { type: 'string', default: '180' },
  },
});
const recipe = ['--epochs', values.epochs, '--seed', values.seed, '--normalize', '--schedule', 'cosine', '--target', values.target];

const maxLoad = Number(values['max-load']);
const context = benchContext({ bench: 'time to accuracy', maxLoad, target: Number(values.target) });
const rows = [];
function recordRound({ round, order, loadAtStart, loadAtEnd, results }, discarded) {
  const { ours, torch } = results;
  const row = {
    round,
    order: order.join('>'),
    discarded,
    load: +((loadAtStart + loadAtEnd) / 2).toFixed(2),
    loadAtStart,
    engine: ours.engine,
    torchEngine: torch.engine,
    epoch: ours.reachedEpoch,
    torchEpoch: torch.reachedEpoch,
    seconds: ours.secondsToTarget,
    torchSeconds: torch.secondsToTarget,
    ratio: ours.secondsToTarget && torch.secondsToTarget ? +(ours.secondsToTarget / torch.secondsToTarget).toFixed(3) : null,
    trainSeconds: ours.trainSecondsToTarget,
    torchTrainSeconds: torch.trainSecondsToTarget,
    trainRatio:
      ours.trainSecondsToTarget && torch.trainSecondsToTarget ? +(ours.trainSecondsToTarget / torch.trainSecondsToTarget).toFixed(3) : null,
    processSeconds: ours.processSeconds,
    torchProcessSeconds: torch.processSeconds,
    peakMiB: ours.peakMiB,
    torchPeakMiB: torch.peakMiB,
    accuracyByEpoch: ours.testAccuracyByEpoch,
    torchAccuracyByEpoch: torch.testAccuracyByEpoch,
  };
  // Recorded as soon as the round ends: an interrupted run keeps its finished rounds.
  recordResult('time-to-accuracy', { ...context, ...row, recipe: recipe.join(' ') });
  if (!discarded) rows.push(row);
}
const { discarded } = await alternatingRounds({
  rounds: Number(values.rounds),
  maxLoad,
  settleSeconds: Number(values.settle),
  log: (message) => process.stderr.write(`# ${message}\n`),
  afterRound: recordRound,
  sides: {
    ours: async () => runSide(process.execPath, [join(root, 'bench/accuracy/fashion-mnist.mjs'), ...recipe, '--no-record']),
    torch: async () => runSide('/usr/bin/python3', [TORCH_REFERENCE, 'fashion-mnist', ...recipe], { OPENBLAS_NUM_THREADS: '1' }),
  },
});

if (discarded.length > 0) process.stderr.write(`# ${discarded.length} round(s) discarded (load > ${maxLoad})\n`);
const summary = { round: 'median' };
for (const key of ['load', 'epoch', 'torchEpoch', 'seconds', 'torchSeconds', 'ratio', 'trainSeconds', 'torchTrainSeconds', 'trainRatio']) {
  const value = median(rows.map((r) => r[key]));
  summary[key] = value === null ? null : +value.toFixed(3);
}
const columns = [
  'round',
  'load',
  'epoch',
  'torchEpoch',
  'seconds',
  'torchSeconds',
  'ratio',
  'trainSeconds',
  'torchTrainSeconds',
  'trainRatio',
];
console.table([...rows, summary].map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))));
console.log(JSON.stringify({ ...context, rows, median: summary }));
