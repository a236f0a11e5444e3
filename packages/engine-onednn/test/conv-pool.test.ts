/**
 * A convolution and the max pooling after it as one kernel (fast-paths/conv-pool.ts), and the dense
 * layers' fused gradients: the same outputs and gradients as tfjs's own layers on the cpu backend, in
 * training and at inference; never for a layer called on its own or a convolution whose output is
 * also used elsewhere.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel, seedGlobalRandom } from '@trainyard/cnn';
import { convPoolStatistics } from '../src/fast-paths/conv-pool.js';
import { assertNoLeakedTensors, matchesCpu, normal, setUp, skipReason } from './helpers.js';

interface Block {
  label: string;
  input: [number, number, number];
  conv: Parameters<typeof tf.layers.conv2d>[0];
  pool: Parameters<typeof tf.layers.maxPooling2d>[0];
}

const BLOCKS: Block[] = [
  {
    label: "LeNet's first block",
    input: [28, 28, 1],
    conv: { filters: 6, kernelSize: 5, activation: 'relu' },
    pool: { poolSize: 2, strides: 2 },
  },
  {
    label: "LeNet's second block",
    input: [12, 12, 6],
    conv: { filters: 16, kernelSize: 5, activation: 'relu' },
    pool: { poolSize: 2, strides: 2 },
  },
  {
    label: 'odd size (windows leave a row out), no bias, 19 filters',
    input: [11, 13, 3],
    conv: { filters: 19, kernelSize: 3, useBias: false, activation: 'relu' },
    pool: { poolSize: 2, strides: 2 },
  },
  {
    label: 'overlapping 3x3 windows with same padding, linear convolution, stride 2',
    input: [10, 9, 2],
    conv: { filters: 5, kernelSize: 3, strides: 2, padding: 'same' },
    pool: { poolSize: 3, strides: 1, padding: 'same' },
  },
  {
    label: '3x3 windows, stride 2, ReLU, same convolution padding',
    input: [9, 9, 4],
    conv: { filters: 8, kernelSize: [3, 2], padding: 'same', activation: 'relu' },
    pool: { poolSize: 3, strides: 2 },
  },
];

function blockModel({ input, conv, pool }: Block, seed: number): tf.LayersModel {
  seedGlobalRandom(seed);
  const x = tf.input({ shape: input });
  let y = tf.layers.conv2d({ ...conv, kernelInitializer: 'glorotNormal', biasInitializer: 'randomNormal' }).apply(x) as tf.SymbolicTensor;
  y = tf.layers.maxPooling2d(pool).apply(y) as tf.SymbolicTensor;
  y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 4, activation: 'relu', biasInitializer: 'randomNormal' }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 3 }).apply(y) as tf.SymbolicTensor });
}

/** The output, the gradients of every weight and the input's gradient of a weighted sum of the output. */
function outputAndGradients(model: tf.LayersModel, x: tf.Tensor, training: boolean): tf.Tensor[] {
  const weights = tf.tidy(() => normal([x.shape[0], 3], 401));
  const loss = (input: tf.Tensor) => (model.apply(input, { training }) as tf.Tensor).mul(weights).sum() as tf.Scalar;
  const { grads } = tf.variableGrads(
    () => loss(x),
    model.trainableWeights.map((w) => w.read() as tf.Variable),
  );
  const dx = tf.grad(loss)(x);
  return [model.apply(x, { training }) as tf.Tensor, dx, ...Object.values(grads)];
}

describe('convolution and max pooling as one kernel', { skip: skipReason }, () => {
  before(setUp);

  BLOCKS.forEach((block, i) => {
    it(`${block.label}: output and every gradient match the cpu backend`, () => {
      const model = blockModel(block, 410 + i);
      const x = normal([3, ...block.input], 420 + i);
      for (const training of [true, false]) {
        const before = convPoolStatistics.fusedBlocks;
        matchesCpu(
          `${block.label} training=${training}`,
          () => outputAndGradients(model, x, training),
          ['convPoolForward', 'convPoolBackward', 'denseBackward'],
          {
            relative: 1e-4,
            absolute: 1e-5,
          },
        );
        assert.ok(convPoolStatistics.fusedBlocks > before, 'the fused kernel ran');
      }
      matchesCpu(`${block.label} predict`, () => model.predict(x) as tf.Tensor, ['convPoolForward']);
      model.dispose();
      x.dispose();
    });
  });

  it('LeNet-5: five Adam steps give the same weights as on the cpu backend', () => {
    const run = () => {
      seedGlobalRandom(430);
      const model = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10 }).training;
      const x = normal([16, 28, 28, 1], 431);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10).toFloat());
      const optimizer = tf.train.adam(1e-3);
      for (let step = 0; step < 5; step++) {
        tf.dispose(
          optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true) ??
            [],
        );
      }
      const weights = model.getWeights().map((w) => w.clone());
      model.dispose();
      optimizer.dispose();
      tf.dispose([x, y]);
      return weights;
    };
    matchesCpu('LeNet-5', run, ['convPoolForward', 'convPoolBackward', 'denseBackward'], { relative: 1e-3, absolute: 1e-5 });
  });

  it('a frozen second block: the first block still gets its gradients (input gradient without the filter one)', () => {
    seedGlobalRandom(460);
    const input = tf.input({ shape: [16, 16, 2] });
    let y = tf.layers
      .conv2d({ filters: 5, kernelSize: 3, activation: 'relu', biasInitializer: 'randomNormal' })
      .apply(input) as tf.SymbolicTensor;
    y = tf.layers.maxPooling2d({ poolSize: 2 }).apply(y) as tf.SymbolicTensor;
    const frozen = tf.layers.conv2d({ filters: 7, kernelSize: 3, activation: 'relu', biasInitializer: 'randomNormal', trainable: false });
    y = frozen.apply(y) as tf.SymbolicTensor;
    y = tf.layers.maxPooling2d({ poolSize: 2 }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3 }).apply(y) as tf.SymbolicTensor });
    assert.equal(model.trainableWeights.length, 4);
    const x = normal([4, 16, 16, 2], 461);
    matchesCpu('frozen', () => outputAndGradients(model, x, true), ['convPoolForward', 'convPoolBackward'], {
      relative: 1e-4,
      absolute: 1e-5,
    });
    model.dispose();
    x.dispose();
  });

  it('a training step leaks no tensors', () => {
    const model = blockModel(BLOCKS[0], 440);
    const x = normal([4, 28, 28, 1], 441);
    const calls = assertNoLeakedTensors(model, x, 3);
    assert.equal(calls.get('convPoolForward'), 3);
    model.dispose();
    x.dispose();
    void tf.setBackend('cpu');
  });

  it('not fused: a convolution called on its own, or whose output is also a model output', () => {
    void tf.setBackend('onednn');
    const x = normal([2, 8, 8, 3], 450);
    const before = convPoolStatistics.fusedBlocks;
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' });
    const pool = tf.layers.maxPooling2d({ poolSize: 2 });
    tf.dispose(pool.apply(conv.apply(x) as tf.Tensor) as tf.Tensor);
    const input = tf.input({ shape: [8, 8, 3] });
    const features = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const pooled = tf.layers.maxPooling2d({ poolSize: 2 }).apply(features) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [features, pooled] });
    tf.dispose(model.predict(x) as tf.Tensor[]);
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor[]);
    assert.equal(convPoolStatistics.fusedBlocks, before);
    model.dispose();
    x.dispose();
    void tf.setBackend('cpu');
  });
});
