#!/usr/bin/env node
// LeNet-5 on the real Fashion-MNIST with the recipe of bench/torch_reference.py
// (batch 64, Adam 1e-3, all 60,000 training images, test accuracy after every epoch), through the
// package's own runTraining, so the numbers compare with PyTorch's directly.
//
//   npm run build
//   node bench/accuracy/fashion-mnist.mjs --epochs 5
//   node bench/accuracy/fashion-mnist.mjs --epochs 10 --normalize --schedule cosine
//   node bench/accuracy/fashion-mnist.mjs --epochs 10 --normalize --schedule cosine --target 0.89
//
// --target stops at the first epoch whose test accuracy reaches it and reports that epoch and the
// seconds until its evaluation ended, with and without the test evaluations (the keys of the
// reference's --target; time-to-accuracy.mjs runs both). --no-record: print only, append nothing to
// bench/results (time-to-accuracy.mjs records the rounds itself).
// Progress goes to stderr; the last stdout line is one JSON object with the reference script's keys.
// FASHION_MNIST_DIR overrides the data directory (default /usr/share/datasets/fashion-mnist).
import { parseArgs } from 'node:util';
import { openBuiltinDataset, resolveTrainConfig, runTraining } from '../../packages/cnn/dist/src/index.js';
import { recordResult } from '../record.mjs';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'lenet5' },
    epochs: { type: 'string', default: '5' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '55' },
    normalize: { type: 'boolean', default: false },
    schedule: { type: 'string', default: 'constant' },
    target: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
});
const target = values.target === undefined ? null : Number(values.target);

const dataset = await openBuiltinDataset('fashion-mnist');
const config = resolveTrainConfig({
  epochs: Number(values.epochs),
  batchSize: Number(values.batch),
  learningRate: Number(values.lr),
  seed: Number(values.seed),
  normalize: values.normalize,
  schedule: values.schedule,
});
// From the first epoch's start (data loaded, model built), as the reference's clock.
let trainingStartedAt = null;
const epochSeconds = [];
const evalSeconds = [];
const result = await runTraining(
  { architecture: values.model, dataset, config, evaluateTestEachEpoch: true },
  {
    onPhase: (phase) => {
      if (phase === 'training') trainingStartedAt = performance.now();
    },
    onEpoch: (m) => {
      epochSeconds.push((performance.now() - trainingStartedAt) / 1000);
      // An epoch's seconds include its test evaluation; imagesPerSecond counts the training alone.
      evalSeconds.push(m.seconds - dataset.train.size / m.imagesPerSecond);
      process.stderr.write(
        `epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)} acc ${m.trainAccuracy.toFixed(4)}, ` +
          `test acc ${m.testAccuracy?.toFixed(4)}, ${m.seconds.toFixed(1)} s, ${Math.round(m.imagesPerSecond)} images/s\n`,
      );
    },
    continueAfterEpoch: (history) => target === null || !history.some((m) => (m.testAccuracy ?? 0) >= target),
  },
);
const accuracies = result.history.map((m) => Math.round((m.testAccuracy ?? 0) * 1e4) / 1e4);
const reached = target === null ? -1 : accuracies.findIndex((accuracy) => accuracy >= target);
const round2 = (seconds) => Math.round(seconds * 100) / 100;
const row = {
  engine: result.engine,
  model: values.model,
  epochs: config.epochs,
  batch: config.batchSize,
  lr: config.learningRate,
  normalize: config.normalize,
  schedule: config.schedule,
  testAccuracyByEpoch: accuracies,
  testAccuracy: Math.round(result.evaluation.top1 * 1e4) / 1e4,
  trainSeconds: Math.round(result.trainSeconds * 10) / 10,
  epochSeconds: epochSeconds.map(round2),
  evalSeconds: evalSeconds.map(round2),
  ...(target === null
    ? {}
    : {
        target,
        reachedEpoch: reached < 0 ? null : reached + 1,
        secondsToTarget: reached < 0 ? null : round2(epochSeconds[reached]),
        trainSecondsToTarget:
          reached < 0 ? null : round2(epochSeconds[reached] - evalSeconds.slice(0, reached + 1).reduce((a, b) => a + b, 0)),
      }),
};
console.log(JSON.stringify(values['no-record'] ? row : recordResult('fashion-mnist-accuracy', row)));
