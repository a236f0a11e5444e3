#!/usr/bin/env node
// The lean backward pass (packages/cnn/src/engine/lean-gradients.ts, installed by initEngine) against
// tfjs's own Engine.gradients (still on the Engine's prototype), in one process, in alternating blocks
// of training steps: the CPU and wall milliseconds of a step with each, so that the two see the same
// machine. The memory side is bench/engine-onednn/memory-profile.mjs.
//
//   npx tsc -b packages/cnn && node bench/engine/lean-gradients.mjs [--model lenet5] [--input 28,28,1]
//                    [--batch 64] [--steps 50] [--blocks 16]
//
// OMP_NUM_THREADS=1 makes the CPU time steadier on a shared machine. Prints one JSON line: each
// block's milliseconds per step, and the medians.
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { median } from '../rounds.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'lenet5' },
    input: { type: 'string', default: '28,28,1' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '50' },
    blocks: { type: 'string', default: '16' },
  },
});
const { initEngine, buildModel } = await import(join(root, 'packages/cnn/dist/src/index.js'));
const engineInfo = await initEngine();
const engine = tf.engine();
const implementations = { tfjs: Object.getPrototypeOf(engine).gradients, lean: engine.gradients };
if (implementations.lean === implementations.tfjs) throw new Error('initEngine did not install the lean gradients');

const inputShape = values.input.split(',').map(Number);
const batch = Number(values.batch);
const { training } = buildModel(values.model, { inputShape, classes: 10 });
const x = tf.randomNormal([batch, ...inputShape]);
const y = tf.cast(tf.oneHot(tf.randomUniformInt([batch], 0, 10), 10), 'float32');
const optimizer = tf.train.adam(1e-3);
const step = () => {
  const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, training.apply(x, { training: true })), true);
  loss.dataSync();
  loss.dispose();
};
for (let i = 0; i < 5; i++) step();
const steps = Number(values.steps);
const blocks = { tfjs: [], lean: [] };
for (let block = 0; block < Number(values.blocks); block++) {
  const name = block % 2 === 0 ? 'tfjs' : 'lean';
  engine.gradients = implementations[name];
  step(); // the first step after a switch settles the buffer pool
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  const used = process.cpuUsage(cpu);
  blocks[name].push({
    cpuMs: +((used.user + used.system) / 1000 / steps).toFixed(3),
    wallMs: +((performance.now() - start) / steps).toFixed(3),
  });
}
engine.gradients = implementations.lean;
const medians = (key) => ({ tfjs: median(blocks.tfjs.map((b) => b[key])), lean: median(blocks.lean.map((b) => b[key])) });
console.log(
  JSON.stringify({
    model: values.model,
    batch,
    engine: engineInfo.name,
    load: +loadavg()[0].toFixed(2),
    blocks,
    cpuMsPerStep: medians('cpuMs'),
    wallMsPerStep: medians('wallMs'),
  }),
);
