#!/usr/bin/env node
// Where the memory of a training process goes, stage by stage: resident memory (and its peak, VmHWM)
// after Node starts, after tfjs and the engine load, after the model is built, after each training
// step and after inference, with V8's heap, ArrayBuffers, tfjs's tensors, the onednn backend's pool
// and the addon's primitive cache and scratch memory. It runs the training loop of `trainyard bench`
// (measureThroughput's method: 4 random batches, Adam 1e-3, softmax cross-entropy).
//
//   npm run build && node bench/engine-onednn/memory-profile.mjs [--model resnet20] [--input 32,32,3]
//                    [--batch 64] [--steps 35]
//
// Node flags (e.g. --max-semi-space-size=4) go before the script; TRAINYARD_ENGINE picks the engine
// as everywhere. Prints one table (MiB) and, last, one JSON line.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet20' },
    input: { type: 'string', default: '32,32,3' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '35' },
  },
});
const mib = (bytes) => +(bytes / 1048576).toFixed(1);
const status = () => {
  const text = readFileSync('/proc/self/status', 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024, anon: kib('RssAnon') / 1024, file: kib('RssFile') / 1024 };
};
const rows = [];
let tf = null;
let backend = null;
function stage(name, extra = {}) {
  const { rss, hwm, anon, file } = status();
  const usage = process.memoryUsage();
  const row = {
    stage: name,
    rss: +rss.toFixed(1),
    peak: +hwm.toFixed(1),
    anon: +anon.toFixed(1),
    file: +file.toFixed(1),
    heapTotal: mib(usage.heapTotal),
    heapUsed: mib(usage.heapUsed),
    arrayBuffers: mib(usage.arrayBuffers),
    tensors: tf ? mib(tf.memory().numBytes) : null,
    numTensors: tf ? tf.memory().numTensors : null,
    pool: backend?.pooledBytes !== undefined ? mib(backend.pooledBytes) : null,
    scratch: backend?.native ? mib(backend.native.info().scratchBytes) : null,
    primitives: backend?.native ? backend.native.info().cachedPrimitives : null,
    ...extra,
  };
  rows.push(row);
}

stage('node started');
tf = await import('@tensorflow/tfjs');
const cnn = await import(join(root, 'packages/cnn/dist/src/index.js'));
stage('tfjs and @trainyard/cnn imported');
const engine = await cnn.initEngine();
backend = tf.backend();
stage(`engine ${engine.name} loaded`);
const inputShape = values.input.split(',').map(Number);
const batch = Number(values.batch);
const built = cnn.buildModel(values.model, { inputShape, classes: 10 });
const model = built.training;
stage(`${values.model} built (${model.countParams()} parameters)`);

const batches = Array.from({ length: 4 }, () =>
  tf.tidy(() => ({
    x: tf.randomNormal([batch, ...inputShape]),
    y: tf.cast(tf.oneHot(tf.randomUniformInt([batch], 0, 10), 10), 'float32'),
  })),
);
const optimizer = tf.train.adam(1e-3);
stage('4 random batches, optimizer');
const steps = Number(values.steps);
const trainStart = performance.now();
let timedStart = trainStart;
for (let i = 0; i < steps; i++) {
  if (i === 5) timedStart = performance.now();
  const { x, y } = batches[i % 4];
  const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), true);
  await loss.data();
  loss.dispose();
  if (i < 3 || i === 5 || i === steps - 1) stage(`after train step ${i + 1}`);
}
const trainImagesPerSec = ((steps - 5) * batch) / ((performance.now() - timedStart) / 1000);
for (let i = 0; i < steps; i++) {
  const sum = tf.tidy(() => model.apply(batches[i % 4].x, { training: false }).sum());
  await sum.data();
  sum.dispose();
}
stage(`after ${steps} eval steps`);
console.table(rows);
console.log(JSON.stringify({ model: values.model, batch, engine: engine.name, trainImagesPerSec: Math.round(trainImagesPerSec), rows }));
