#!/usr/bin/env node
// Training and inference throughput of LeNet-5 on the engine initEngine picks, measured with the
// PyTorch reference's method (bench/torch_reference.py throughput).
//   npx tsc -b packages/cnn && node bench/engine/lenet5-throughput.mjs [--batch 64] [--steps 30] [--repeat 3]
// TRAINYARD_ENGINE=wasm|cpu|... forces an engine. Prints one JSON line per repeat.
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { initEngine } from '../../packages/cnn/dist/src/engine/index.js';
import { measureThroughput } from '../../packages/cnn/dist/src/bench/index.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '30' },
    repeat: { type: 'string', default: '1' },
  },
});

/** LeNet-5 as in the reference: two valid 5x5 convolutions with ReLU and 2x2 max pooling, 120-84-10 logits. */
function lenet5(inputShape, classes) {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape, filters: 6, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: classes }),
    ],
  });
}

const engine = await initEngine({ log: (msg, fields) => console.error(msg, JSON.stringify(fields)) });
const inputShape = [28, 28, 1];
const batch = Number(values.batch);
const model = lenet5(inputShape, 10);
for (let i = 0; i < Number(values.repeat); i++) {
  const result = await measureThroughput(model, { inputShape, batch, steps: Number(values.steps) });
  console.log(
    JSON.stringify({
      engine: engine.name,
      device: engine.device,
      threads: engine.threads,
      model: 'lenet5',
      input: '28,28,1',
      batch,
      ...result,
    }),
  );
}
