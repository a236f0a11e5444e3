#!/usr/bin/env node
// LeNet-5 on the real Fashion-MNIST with the recipe of bench/torch_reference.py
// (batch 64, Adam 1e-3, all 60,000 training images, test accuracy after every epoch), through the
// package's own runTraining, so the numbers compare with PyTorch's directly.
//
//   npm run build
//   node bench/accuracy/fashion-mnist.mjs --epochs 5
//   node bench/accuracy/fashion-mnist.mjs --epochs 10 --normalize --schedule cosine
//
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
  },
});

const dataset = await openBuiltinDataset('fashion-mnist');
const config = resolveTrainConfig({
  epochs: Number(values.epochs),
  batchSize: Number(values.batch),
  learningRate: Number(values.lr),
  seed: Number(values.seed),
  normalize: values.normalize,
  schedule: values.schedule,
});
const result = await runTraining(
  { architecture: values.model, dataset, config, evaluateTestEachEpoch: true },
  {
    onEpoch: (m) =>
      process.stderr.write(
        `epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)} acc ${m.trainAccuracy.toFixed(4)}, ` +
          `test acc ${m.testAccuracy?.toFixed(4)}, ${m.seconds.toFixed(1)} s, ${Math.round(m.imagesPerSecond)} images/s\n`,
      ),
  },
);
console.log(
  JSON.stringify(
    recordResult('fashion-mnist-accuracy', {
      engine: result.engine,
      model: values.model,
      epochs: config.epochs,
      batch: config.batchSize,
      lr: config.learningRate,
      normalize: config.normalize,
      schedule: config.schedule,
      testAccuracyByEpoch: result.history.map((m) => Math.round((m.testAccuracy ?? 0) * 1e4) / 1e4),
      testAccuracy: Math.round(result.evaluation.top1 * 1e4) / 1e4,
      trainSeconds: Math.round(result.trainSeconds * 10) / 10,
    }),
  ),
);
