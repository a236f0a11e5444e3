/**
 * tf.losses.softmaxCrossEntropy with its averaging reductions and no weights, on the onednn backend:
 * one kernel forward and one backward instead of about twenty.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNEL_NAMES } from '../kernels/fused.js';
import { activeOnednn } from './active.js';

type Loss = typeof tf.losses.softmaxCrossEntropy;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function installSoftmaxCrossEntropy(): void {
  const losses = tf.losses as Mutable<typeof tf.losses>;
  const original = losses.softmaxCrossEntropy;
  losses.softmaxCrossEntropy = ((labels, logits, weights, labelSmoothing = 0, reduction = tf.Reduction.SUM_BY_NONZERO_WEIGHTS) => {
    const averaging = reduction === tf.Reduction.MEAN || reduction === tf.Reduction.SUM_BY_NONZERO_WEIGHTS;
    if (
      activeOnednn() !== null &&
      weights == null &&
      averaging &&
      labels instanceof tf.Tensor &&
      logits instanceof tf.Tensor &&
      labels.dtype === 'float32' &&
      logits.dtype === 'float32' &&
      logits.rank === 2 &&
      logits.size > 0 &&
      tf.util.arraysEqual(labels.shape, logits.shape)
    ) {
      return tf.engine().runKernel(FUSED_KERNEL_NAMES.softmaxCrossEntropy, { labels, logits }, { smoothing: labelSmoothing }) as tf.Tensor;
    }
    return original(labels, logits, weights, labelSmoothing, reduction);
  }) as Loss;
}
