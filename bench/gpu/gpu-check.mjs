#!/usr/bin/env node
// The Node half of the GPU check (bench/gpu/check.sh runs it from the bundle that
// scripts/build-gpu-check.mjs builds): training and inference throughput of the check's models on one
// engine, by the method of bench/torch_reference.py (random batches, Adam 1e-3, warm-up, median).
//   node gpu-check.mjs --engine webgpu|wasm [--models lenet5/28x28x1/64,...] [--warmup N] [--steps N] [--budget SECONDS]
// Prints one JSON object: the engine, its device, and one entry per model. A model not started
// within --budget seconds is reported as skipped, so the whole check keeps to its time limit.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { buildModel, disposeBuiltModel, initEngine, measureThroughput } from '../../packages/cnn/dist/src/index.js';

const CHECK_MODELS = 'lenet5/28x28x1/64,resnet20/32x32x3/64,resnet18/64x64x3/32';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'webgpu' },
    models: { type: 'string', default: CHECK_MODELS },
    warmup: { type: 'string', default: '3' },
    steps: { type: 'string', default: '10' },
    budget: { type: 'string', default: '120' },
  },
});

// Bundled, tfjs-backend-wasm cannot find its .wasm files beside its own module: they sit beside this one.
setWasmPaths(`${dirname(fileURLToPath(import.meta.url))}/`);
const started = performance.now();
const engine = await initEngine({ engine: values.engine, log: (msg, fields) => console.error(msg, JSON.stringify(fields)) });
const results = [];
for (const entry of values.models.split(',')) {
  const [model, input, batch] = entry.split('/');
  if ((performance.now() - started) / 1000 > Number(values.budget)) {
    results.push({
      model,
      input: input.replaceAll('x', ','),
      batch: Number(batch),
      skipped: `not started within the ${values.budget} s budget`,
    });
    continue;
  }
  const inputShape = input.split('x').map(Number);
  const built = buildModel(model, { inputShape, classes: 10 });
  try {
    const speed = await measureThroughput(built.training, {
      inputShape,
      batch: Number(batch),
      warmup: Number(values.warmup),
      steps: Number(values.steps),
    });
    results.push({ model, input: inputShape.join(','), batch: Number(batch), ...speed });
  } catch (error) {
    results.push({
      model,
      input: inputShape.join(','),
      batch: Number(batch),
      error: error instanceof Error ? error.message : String(error),
    });
  } finally {
    disposeBuiltModel(built);
  }
  console.error('measured', JSON.stringify(results.at(-1)));
}
console.log(
  JSON.stringify({
    engine: engine.name,
    version: engine.version,
    device: engine.device,
    seconds: Math.round((performance.now() - started) / 1000),
    results,
  }),
);
