#!/usr/bin/env node
// What one kernel dispatch costs on the onednn engine, apart from the arithmetic: each case runs a
// kernel on a one-element tensor many times and reports the wall-clock and the CPU microseconds per
// call (the process's own CPU time, which another process's load moves much less than the wall
// clock). Cases:
//   napi            a bare N-API call into the addon (setThreads): the floor of any native kernel
//   relu-native     tf.relu on onednn: tfjs's engine (kernel lookup, tensor bookkeeping, output
//                   from the pool) plus the native call
//   relu-cpu        tf.relu on tfjs's cpu backend: the same bookkeeping with a JavaScript kernel
//   conv-native     tf.fused.conv2d (1x1x1x1, bias, ReLU) on onednn: a cached oneDNN primitive's execute
//   dense-native    tf.fused.matMul (1x1 by 1x1, bias, ReLU) on onednn
// Medians of --repeat runs of --calls calls each, in one process, cases interleaved.
//
//   npm run build && node bench/engine-onednn/dispatch.mjs [--calls 20000] [--repeat 7]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchContext, load1, median } from '../rounds.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, repeat: { type: 'string', default: '7' } } });
const calls = Number(values.calls);
const repeat = Number(values.repeat);

const tf = await import('@tensorflow/tfjs');
const { activateOnednnBackend } = await import(join(root, 'packages/engine-onednn/dist/src/index.js'));
const info = await activateOnednnBackend();
const onednn = tf.backend();
const threads = info.threads;

const on = (backend, make) => () => {
  tf.setBackend(backend);
  return make();
};
const cases = {
  napi: on('onednn', () => {
    const native = onednn.native;
    return () => native.setThreads(threads);
  }),
  'relu-native': on('onednn', () => {
    const x = tf.tensor1d([0.5]);
    return () => tf.relu(x).dispose();
  }),
  'relu-cpu': on('cpu', () => {
    const x = tf.tensor1d([0.5]);
    return () => tf.relu(x).dispose();
  }),
  'conv-native': on('onednn', () => {
    const x = tf.ones([1, 1, 1, 1]);
    const filter = tf.ones([1, 1, 1, 1]);
    const bias = tf.ones([1]);
    return () => tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'valid', activation: 'relu' }).dispose();
  }),
  'dense-native': on('onednn', () => {
    const a = tf.ones([1, 1]);
    const b = tf.ones([1, 1]);
    const bias = tf.ones([1]);
    return () => tf.fused.matMul({ a, b, bias, activation: 'relu' }).dispose();
  }),
};

const prepared = Object.fromEntries(Object.entries(cases).map(([name, make]) => [name, { backend: tf.getBackend(), run: make() }]));
const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, { wall: [], cpu: [] }]));
const loadAtStart = load1();
for (let r = 0; r < repeat + 1; r++) {
  for (const [name, { run }] of Object.entries(prepared)) {
    tf.setBackend(name.endsWith('-cpu') ? 'cpu' : 'onednn');
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    for (let i = 0; i < calls; i++) run();
    const wall = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    if (r === 0) continue; // warm-up
    samples[name].wall.push((wall * 1000) / calls);
    samples[name].cpu.push((cpu.user + cpu.system) / calls);
  }
}
const round2 = (x) => Math.round(x * 100) / 100;
const rows = Object.entries(samples).map(([name, { wall, cpu }]) => ({
  case: name,
  wallMicrosecondsPerCall: round2(median(wall)),
  cpuMicrosecondsPerCall: round2(median(cpu)),
  wallRange: [round2(Math.min(...wall)), round2(Math.max(...wall))],
}));
console.table(rows);
console.log(
  JSON.stringify({ ...benchContext({ bench: 'engine-onednn dispatch', calls, repeat, threads }), loadAtStart, loadAtEnd: load1(), rows }),
);
