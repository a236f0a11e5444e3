#!/usr/bin/env node
// One model's training step on the engine initEngine picks, in one process: the kernels a step
// dispatches, the median and minimum wall milliseconds of --steps steps, and the process's CPU
// milliseconds per step (which a busy machine moves much less than the wall clock). The bench's step:
// 4 random batches cycled, Adam 1e-3, softmax cross-entropy, the loss read back.
//
//   npm run build && TRAINYARD_ENGINE=onednn node bench/engine-onednn/step.mjs [--model lenet5] [--input 28,28,1]
//                    [--batch 64] [--steps 200]
//
// Compare configurations by alternating runs (TRAINYARD_ONEDNN_SKIP=conv-pool, OMP_NUM_THREADS=1,
// OMP_WAIT_POLICY=passive, ...). Prints one JSON line; appends it to bench/results/engine-onednn-step.jsonl.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { recordResult } from '../record.mjs';
import { load1, median } from '../rounds.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'lenet5' },
    input: { type: 'string', default: '28,28,1' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '200' },
  },
});
const { initEngine, buildModel, disposeBuiltModel } = await import(join(root, 'packages/cnn/dist/src/index.js'));
const engine = await initEngine();
const inputShape = values.input.split(',').map(Number);
const batch = Number(values.batch);
const built = buildModel(values.model, { inputShape, classes: 10 });
const batches = [0, 1, 2, 3].map(() => tf.randomNormal([batch, ...inputShape]));
const labels = tf.tidy(() => tf.oneHot(tf.randomUniformInt([batch], 0, 10), 10).toFloat());
const optimizer = tf.train.adam(1e-3);

let counting = false;
let kernels = 0;
for (const kernel of tf.getKernelsForBackend(engine.backend)) {
  const run = kernel.kernelFunc;
  kernel.kernelFunc = (args) => {
    if (counting) kernels++;
    return run(args);
  };
}
const step = (i) => {
  const loss = optimizer.minimize(
    () => tf.losses.softmaxCrossEntropy(labels, built.training.apply(batches[i % 4], { training: true })),
    true,
  );
  loss.dataSync();
  loss.dispose();
};
for (let i = 0; i < 10; i++) step(i);
counting = true;
step(0);
counting = false;

const loadAtStart = load1();
const times = [];
const cpuBefore = process.cpuUsage();
for (let i = 0; i < Number(values.steps); i++) {
  const start = performance.now();
  step(i);
  times.push(performance.now() - start);
}
const cpu = process.cpuUsage(cpuBefore);
const round3 = (x) => Math.round(x * 1000) / 1000;
const record = recordResult('engine-onednn-step', {
  bench: 'engine-onednn step',
  engine: engine.name,
  threads: engine.threads,
  model: values.model,
  input: values.input,
  batch,
  steps: Number(values.steps),
  env: Object.fromEntries(
    ['TRAINYARD_ONEDNN_SKIP', 'OMP_NUM_THREADS', 'OMP_WAIT_POLICY', 'GOMP_SPINCOUNT'].map((k) => [k, process.env[k] ?? null]),
  ),
  kernels,
  medianMs: round3(median(times)),
  minMs: round3(Math.min(...times)),
  cpuMsPerStep: round3((cpu.user + cpu.system) / 1000 / times.length),
  loadAtStart,
  loadAtEnd: load1(),
});
console.log(JSON.stringify(record));
optimizer.dispose();
disposeBuiltModel(built);
tf.dispose([...batches, labels]);
