import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import type { InputShape } from '../types.js';

export interface ThroughputOptions {
  inputShape: InputShape;
  batch: number;
  classes?: number;
  warmup?: number;
  steps?: number;
  learningRate?: number;
}

export interface Throughput {
  trainImagesPerSec: number;
  evalImagesPerSec: number;
}

/** The number of distinct random batches cycled through, as in the PyTorch reference. */
const RANDOM_BATCHES = 4;

/**
 * Training and inference speed of `model` measured exactly as bench/torch_reference.py
 * measures PyTorch, so the two compare as a ratio: 4 random batches cycled, Adam, softmax
 * cross-entropy on the logits; a train step is forward + backward + update; eval is a forward pass
 * whose result is read back. Each is the median over `steps` timed steps after `warmup` untimed ones.
 * The model's first output must be the logits.
 */
export async function measureThroughput(model: tf.LayersModel, options: ThroughputOptions): Promise<Throughput> {
  const { inputShape, batch, classes = 10, warmup = 5, steps = 30, learningRate = 1e-3 } = options;
  for (const [name, value] of Object.entries({ batch, classes, steps }) as Array<[string, number]>) {
    if (!Number.isInteger(value) || value < 1) {
      throw new CnnError('invalid_option', `${name} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new CnnError('invalid_option', `warmup must be a non-negative integer, got ${warmup}`);
  }
  const modelInput = model.inputs[0].shape.slice(1);
  if (modelInput.length !== inputShape.length || modelInput.some((size, i) => size !== null && size !== inputShape[i])) {
    throw new CnnError('invalid_option', `the model takes inputs of shape [${modelInput}], not [${inputShape}]`);
  }

  const batches = Array.from({ length: RANDOM_BATCHES }, () =>
    tf.tidy(() => ({
      x: tf.randomNormal([batch, ...inputShape]),
      y: tf.cast(tf.oneHot(tf.randomUniformInt([batch], 0, classes), classes), 'float32'),
    })),
  );
  const optimizer = tf.train.adam(learningRate);
  try {
    const trainStep = async (i: number): Promise<number> => {
      const { x, y } = batches[i % RANDOM_BATCHES];
      const start = performance.now();
      const loss = optimizer.minimize(() => {
        const outputs = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
        const logits = Array.isArray(outputs) ? outputs[0] : outputs;
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      }, true);
      // Reading the loss back waits for asynchronous engines (GPUs) to finish the step; asynchronously,
      // since WebGPU cannot read back synchronously in Node.
      await loss?.data();
      const seconds = (performance.now() - start) / 1000;
      loss?.dispose();
      return seconds;
    };
    const evalStep = async (i: number): Promise<number> => {
      const { x } = batches[i % RANDOM_BATCHES];
      const start = performance.now();
      const sum = tf.tidy(() => {
        const outputs = model.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
        return (Array.isArray(outputs) ? outputs[0] : outputs).sum();
      });
      await sum.data();
      sum.dispose();
      return (performance.now() - start) / 1000;
    };
    const train = await medianOfTimedSteps(trainStep, warmup, steps);
    const evaluate = await medianOfTimedSteps(evalStep, warmup, steps);
    return { trainImagesPerSec: round1(batch / train), evalImagesPerSec: round1(batch / evaluate) };
  } finally {
    optimizer.dispose();
    for (const { x, y } of batches) tf.dispose([x, y]);
  }
}

async function medianOfTimedSteps(step: (i: number) => Promise<number>, warmup: number, steps: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await step(i);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) times.push(await step(warmup + i));
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  return times.length % 2 === 1 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
