/**
 * Batch norm folded into the convolution before it at inference (fast-paths/fold-batch-norm.ts): the
 * same outputs as tfjs's unfolded layers on the cpu backend, within the torchvision parity tolerance
 * (1e-4 relative), through apply and predict; never for a layer called on its own or while gradients
 * are recorded.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel, seedGlobalRandom } from '@trainyard/cnn';
import { foldingStatistics } from '../src/fast-paths/fold-batch-norm.js';
import { matchesCpu, normal, onBoth, assertClose, setUp, skipReason } from './helpers.js';

/** Moving statistics, gamma and beta far from their initial values, so that folding them matters. */
function randomizeBatchNorms(model: tf.LayersModel, seed: number): void {
  let k = seed;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(
      layer.weights.map((w) =>
        tf.tidy(() => {
          const values = normal(w.shape as number[], k++, 0.5);
          return /variance/.test(w.originalName) ? values.abs().add(0.2) : /gamma/.test(w.originalName) ? values.add(1) : values;
        }),
      ),
    );
  }
}

/** `secondGamma` false: the second batch norm has no gamma (tfjs cannot record its gradient then). */
function smallModel(secondGamma = false): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 3] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ axis: -1, epsilon: 1e-5 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  // With a bias, stride 2, valid padding, no ReLU after it.
  x = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ axis: -1, epsilon: 1e-3, scale: secondGamma }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 3 }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

describe('batch norm folded into convolutions at inference', { skip: skipReason }, () => {
  before(setUp);

  it('a conv-bn-relu and a conv-bn model: apply and predict match the cpu backend, two folded convolutions each', () => {
    const model = smallModel();
    randomizeBatchNorms(model, 300);
    const x = normal([5, 9, 9, 3], 301);
    for (const [label, run] of [
      ['apply', () => model.apply(x, { training: false }) as tf.Tensor],
      ['predict', () => model.predict(x) as tf.Tensor],
    ] as const) {
      const before = foldingStatistics.foldedConvolutions;
      matchesCpu(label, run, ['conv2dForward'], { relative: 1e-4, absolute: 1e-6 });
      assert.equal(foldingStatistics.foldedConvolutions - before, 2, `${label}: folded convolutions`);
    }
    model.dispose();
  });

  it('a convolution called on its own, and inference under a gradient tape, are not folded', () => {
    const model = smallModel(true);
    randomizeBatchNorms(model, 310);
    const x = normal([2, 9, 9, 3], 311);
    const conv = model.layers[1];
    const before = foldingStatistics.foldedConvolutions;
    const { reference, ours } = onBoth(() => conv.apply(x) as tf.Tensor);
    assertClose('conv alone', reference, ours);
    const gradients = onBoth(() => tf.grad((input: tf.Tensor) => (model.apply(input, { training: false }) as tf.Tensor).sum())(x));
    assertClose('gradient through inference', gradients.reference, gradients.ours, { relative: 1e-4 });
    assert.equal(foldingStatistics.foldedConvolutions, before);
    model.dispose();
  });

  // ResNet-20 at batch 16: every convolution's output outnumbers its filter, so every one folds.
  // ResNet-18 at batch 2: the deep layers' filters outnumber their outputs, so only the early ones fold.
  for (const [architecture, batch] of [
    ['resnet20', 16],
    ['resnet18', 2],
  ] as const) {
    it(`${architecture}, batch ${batch}: inference within 1e-4 relative of the unfolded model on cpu`, () => {
      seedGlobalRandom(17);
      const inputShape: [number, number, number] = architecture === 'resnet20' ? [32, 32, 3] : [64, 64, 3];
      const model = buildModel(architecture, { inputShape, classes: 10 }).inference;
      randomizeBatchNorms(model, 320);
      const norms = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization').length;
      const x = normal([batch, ...inputShape], 321);
      const before = foldingStatistics.foldedConvolutions;
      matchesCpu(architecture, () => model.predict(x) as tf.Tensor, ['conv2dForward'], { relative: 1e-4, absolute: 1e-6 });
      const folded = foldingStatistics.foldedConvolutions - before;
      if (architecture === 'resnet20') assert.equal(folded, norms, 'every batch norm follows a convolution it folds into');
      else assert.ok(folded > 0 && folded < norms, `${folded} of ${norms} folded`);
      model.dispose();
    });
  }
});
