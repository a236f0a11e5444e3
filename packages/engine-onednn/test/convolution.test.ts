/** Convolutions against the cpu backend: forward (plain and fused), both gradients, many shapes. */
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { matchesCpu, normal, setUp, skipReason } from './helpers.js';

interface Case {
  name: string;
  x: [number, number, number, number];
  kernel: [number, number];
  out: number;
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dilations?: number;
}

// Strides 1 and 2, same / valid / explicit padding, 1x1 to 11x11 kernels, odd sizes, batch 1,
// channel counts that are not multiples of 8.
const CASES: Case[] = [
  { name: '3x3 same s1', x: [2, 9, 9, 5], kernel: [3, 3], out: 7, strides: 1, pad: 'same' },
  { name: '3x3 same s2 odd', x: [2, 9, 7, 3], kernel: [3, 3], out: 6, strides: 2, pad: 'same' },
  { name: '3x3 valid s2', x: [1, 10, 11, 4], kernel: [3, 3], out: 9, strides: 2, pad: 'valid' },
  { name: '1x1 s1', x: [3, 6, 6, 13], kernel: [1, 1], out: 11, strides: 1, pad: 'valid' },
  { name: '1x1 s2', x: [2, 7, 7, 6], kernel: [1, 1], out: 5, strides: 2, pad: 'same' },
  { name: '5x5 valid (LeNet)', x: [2, 14, 14, 1], kernel: [5, 5], out: 6, strides: 1, pad: 'valid' },
  { name: '11x11 s4 (AlexNet stem)', x: [1, 27, 27, 3], kernel: [11, 11], out: 4, strides: 4, pad: 'valid' },
  { name: '7x7 s2 same', x: [1, 15, 15, 3], kernel: [7, 7], out: 5, strides: 2, pad: 'same' },
  { name: '3x3 explicit pad 1', x: [2, 8, 8, 3], kernel: [3, 3], out: 4, strides: 1, pad: 1 },
  { name: '1x3 rectangular', x: [2, 6, 9, 4], kernel: [1, 3], out: 3, strides: [1, 2], pad: 'same' },
  { name: '3x3 dilated 2', x: [1, 11, 11, 3], kernel: [3, 3], out: 4, strides: 1, pad: 'same', dilations: 2 },
];

describe('convolutions match the cpu backend', { skip: skipReason }, () => {
  before(setUp);

  for (const c of CASES) {
    const filterShape: [number, number, number, number] = [...c.kernel, c.x[3], c.out];
    const x = () => normal(c.x, 1) as tf.Tensor4D;
    const filter = () => normal(filterShape, 2, 0.3) as tf.Tensor4D;
    const bias = () => normal([c.out], 3) as tf.Tensor1D;

    it(`Conv2D ${c.name}`, () => {
      const [xs, fs] = [x(), filter()];
      matchesCpu(c.name, () => tf.conv2d(xs, fs, c.strides, c.pad, 'NHWC', c.dilations ?? 1), ['conv2dForward']);
    });

    it(`fused conv2d with bias and ReLU ${c.name}: output and every gradient`, () => {
      const [xs, fs, bs] = [x(), filter(), bias()];
      const fused = (xx: tf.Tensor4D, ff: tf.Tensor4D, bb: tf.Tensor1D) =>
        tf.fused.conv2d({ x: xx, filter: ff, bias: bb, strides: c.strides, pad: c.pad, dilations: c.dilations ?? 1, activation: 'relu' });
      matchesCpu(`${c.name} fused forward`, () => fused(xs, fs, bs), ['conv2dForward']);
      if (c.dilations !== undefined) return; // tfjs has no gradient for dilated convolutions
      const outShape = tf.tidy(() => tf.conv2d(xs, fs, c.strides, c.pad).shape);
      const weights = normal(outShape, 5);
      matchesCpu(
        `${c.name} fused gradients`,
        () =>
          tf.grads((a, b, d) =>
            fused(a as tf.Tensor4D, b as tf.Tensor4D, d as tf.Tensor1D)
              .mul(weights)
              .sum(),
          )([xs, fs, bs]),
        ['conv2dBackwardData', 'conv2dBackwardWeights', 'columnSums'],
      );
    });

    if (c.dilations === undefined) {
      it(`Conv2DBackpropInput and Conv2DBackpropFilter ${c.name}`, () => {
        const [xs, fs] = [x(), filter()];
        const out = tf.tidy(() => tf.conv2d(xs, fs, c.strides, c.pad));
        const weights = normal(out.shape, 6);
        matchesCpu(
          `${c.name} gradients`,
          () =>
            tf.grads((a, b) =>
              tf
                .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad)
                .mul(weights)
                .sum(),
            )([xs, fs]),
          ['conv2dBackwardData', 'conv2dBackwardWeights'],
        );
      });
    }
  }

  it('a convolution on NCHW data or int32 data falls back to the cpu kernels', () => {
    const xs = tf.tidy(() => normal([1, 3, 5, 5], 7));
    const fs = normal([3, 3, 3, 2], 8);
    matchesCpu('NCHW', () => tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, 1, 'same', 'NCHW'), []);
  });
});
