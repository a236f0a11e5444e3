/** FusedBatchNorm (normalisation with given statistics: inference, and tfjs's own training path). */
import * as tf from '@tensorflow/tfjs';
import { allFloat32, nativeKernel, sizeOf } from './kernel.js';

/** native/batch_norm.cc's view of a tensor normalised over its last axis: [N, H, W, C]. */
export function normParams(shape: number[]): Int32Array | null {
  const channels = shape[shape.length - 1];
  if (shape.length === 4) return Int32Array.of(shape[0], shape[1], shape[2], channels);
  if (shape.length < 1 || channels === undefined) return null;
  return Int32Array.of(sizeOf(shape) / Math.max(channels, 1), 1, 1, channels);
}

interface Inputs {
  x: tf.TensorInfo;
  mean: tf.TensorInfo;
  variance: tf.TensorInfo;
  offset?: tf.TensorInfo;
  scale?: tf.TensorInfo;
}

export const batchNormKernels: tf.KernelConfig[] = [
  nativeKernel<Inputs, { varianceEpsilon: number }>('FusedBatchNorm', ({ inputs, backend, attrs }) => {
    const { x, mean, variance, offset, scale } = inputs;
    if (!allFloat32(x, mean, variance, offset, scale) || sizeOf(x.shape) === 0) return null;
    const channels = x.shape[x.shape.length - 1];
    // Statistics given per channel (any shape holding exactly one value per channel).
    if ([mean, variance, offset, scale].some((t) => t != null && sizeOf(t.shape) !== channels)) return null;
    const params = normParams(x.shape);
    if (params === null) return null;
    const y = backend.allocate(sizeOf(x.shape));
    backend.native.batchNormInference(
      params,
      attrs.varianceEpsilon ?? 0.001,
      backend.floats(x),
      backend.floats(mean),
      backend.floats(variance),
      scale == null ? null : backend.floats(scale),
      offset == null ? null : backend.floats(offset),
      y,
    );
    return backend.output(y, x.shape);
  }),
];
