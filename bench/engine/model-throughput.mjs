#!/usr/bin/env node
// Training and inference throughput of any catalog architecture on the engine initEngine picks,
// measured with the PyTorch reference's method (bench/torch_reference.py throughput).
//   npx tsc -b packages/cnn && node bench/engine/model-throughput.mjs --model resnet20 --input 32,32,3 [--batch 64] [--steps 30] [--repeat 1]
// TRAINYARD_ENGINE=wasm|cpu|... forces an engine. Prints one JSON line per repeat; logs go to stderr.
import { parseArgs } from 'node:util';
import { initEngine } from '../../packages/cnn/dist/src/engine/index.js';
import { measureThroughput } from '../../packages/cnn/dist/src/bench/index.js';
import { buildModel } from '../../packages/cnn/dist/src/models/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'lenet5' },
    input: { type: 'string', default: '28,28,1' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '1' },
  },
});

const engine = await initEngine({ log: (msg, fields) => console.error(msg, JSON.stringify(fields)) });
const inputShape = values.input.split(',').map(Number);
const batch = Number(values.batch);
const built = buildModel(values.model, { inputShape, classes: 10 });
for (let i = 0; i < Number(values.repeat); i++) {
  const result = await measureThroughput(built.training, {
    inputShape,
    batch,
    steps: Number(values.steps),
    warmup: Number(values.warmup),
  });
  console.log(
    JSON.stringify({
      engine: engine.name,
      device: engine.device,
      threads: engine.threads,
      model: values.model,
      input: values.input,
      batch,
      ...result,
    }),
  );
}
