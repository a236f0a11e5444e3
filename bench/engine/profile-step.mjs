#!/usr/bin/env node
// Where a training step's time goes, kernel by kernel, on the engine initEngine picks: the step is
// the bench's (forward, softmax cross-entropy, backward, Adam update) on random data.
//   npx tsc -b packages/cnn && node bench/engine/profile-step.mjs --model resnet20 --input 32,32,3 [--batch 64] [--steps 5] [--top 25] [--shapes]
// Times are exclusive: a kernel that runs other kernels (ours on wasm do) is charged only its own
// part. --shapes breaks each kernel down by input shapes and attributes.
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { initEngine } from '../../packages/cnn/dist/src/engine/index.js';
import { buildModel } from '../../packages/cnn/dist/src/models/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'lenet5' },
    input: { type: 'string', default: '28,28,1' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '5' },
    top: { type: 'string', default: '25' },
    shapes: { type: 'boolean', default: false },
  },
});

const engine = await initEngine();
const inputShape = values.input.split(',').map(Number);
const batch = Number(values.batch);
const steps = Number(values.steps);
const model = buildModel(values.model, { inputShape, classes: 10 }).training;

const stats = new Map();
const open = []; // time spent in nested kernels, per open kernel call
let recording = false;
for (const kernel of tf.getKernelsForBackend(engine.backend)) {
  const run = kernel.kernelFunc;
  kernel.kernelFunc = (args) => {
    if (!recording) return run(args);
    const start = performance.now();
    open.push(0);
    const result = run(args);
    const nested = open.pop();
    const elapsed = performance.now() - start;
    if (open.length > 0) open[open.length - 1] += elapsed;
    const key = values.shapes
      ? `${kernel.kernelName} ${Object.entries(args.inputs)
          .map(([n, t]) => `${n}[${t?.shape ?? '-'}]`)
          .join(' ')} ${JSON.stringify(args.attrs ?? {})}`
      : kernel.kernelName;
    const entry = stats.get(key) ?? { calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += elapsed - nested;
    stats.set(key, entry);
    return result;
  };
}

const x = tf.randomNormal([batch, ...inputShape]);
const y = tf.oneHot(tf.randomUniformInt([batch], 0, 10), 10).toFloat();
const optimizer = tf.train.adam(1e-3);
const step = () => {
  const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), true);
  loss.dataSync();
  loss.dispose();
};
step();
step();
recording = true;
const start = performance.now();
for (let i = 0; i < steps; i++) step();
const stepMs = (performance.now() - start) / steps;
recording = false;

const rows = [...stats].map(([key, s]) => ({ key, calls: s.calls / steps, ms: s.ms / steps })).sort((a, b) => b.ms - a.ms);
const kernelMs = rows.reduce((sum, r) => sum + r.ms, 0);
const kernels = rows.reduce((sum, r) => sum + r.calls, 0);
console.log(
  `${values.model} ${values.input} batch ${batch} on ${engine.name}: step ${stepMs.toFixed(2)} ms ` +
    `(${Math.round((batch / stepMs) * 1000)} images/s with profiling on), ${kernels} kernels, ${kernelMs.toFixed(2)} ms in kernels`,
);
console.log('      ms  calls  kernel');
for (const r of rows.slice(0, Number(values.top))) {
  console.log(`${r.ms.toFixed(3).padStart(8)} ${String(r.calls).padStart(6)}  ${r.key}`);
}
