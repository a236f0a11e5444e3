/**
 * Per-channel normalisation inside the model, so that a saved model takes pixels in [0, 1].
 *
 * (x - mean) / std is the affine map x * (1/std) + (-mean/std) per channel: a 1x1 depthwise
 * convolution with a bias, frozen. Unlike a frozen BatchNormalization (which tfjs still normalises
 * with batch statistics when called in training mode), it is the same map in training and inference,
 * and it is a built-in layer that every tfjs runtime loads.
 */
import * as tf from '@tensorflow/tfjs';
import type { Normalization } from '../types.js';
import { applyLayer, featureShape, type Tensor } from './layers.js';

export const NORMALIZATION_LAYER = 'normalization';

export function normalize(x: Tensor, normalization: Normalization): Tensor {
  const channels = featureShape(x)[2];
  const layer = tf.layers.depthwiseConv2d({
    name: NORMALIZATION_LAYER,
    kernelSize: 1,
    depthMultiplier: 1,
    useBias: true,
    trainable: false,
    depthwiseInitializer: 'ones',
    biasInitializer: 'zeros',
  });
  const output = applyLayer(layer, x);
  tf.tidy(() => {
    const scale = normalization.std.map((s) => 1 / s);
    const shift = normalization.mean.map((m, c) => -m / normalization.std[c]);
    layer.setWeights([tf.tensor4d(scale, [1, 1, channels, 1]), tf.tensor1d(shift)]);
  });
  return output;
}
