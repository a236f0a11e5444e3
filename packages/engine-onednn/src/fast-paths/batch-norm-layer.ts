/**
 * tfjs-layers' BatchNormalization in training on the onednn backend: batch statistics, normalisation
 * and (backward) all three gradients in one native kernel each, where tfjs composes moments and its
 * batch-norm gradient from about forty kernels; the moving averages are updated in place.
 * Everything else (inference, other axes, other backends) runs the layer's own code.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { FUSED_KERNEL_NAMES } from '../kernels/fused.js';
import { activeOnednn } from './active.js';

/** The fields of tfjs-layers' BatchNormalization this path reads. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type Call = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }) => tf.Tensor;

/**
 * moving = moving - (moving - batch) * (1 - momentum), as tfjs-layers computes it (float32 at every
 * operation, which Math.fround reproduces), in place.
 */
function updateMovingAverage(backend: OnednnBackend, variable: tf.LayerVariable, batch: tf.Tensor, momentum: number): void {
  const target = variable.read();
  const decay = Math.fround(1 - momentum);
  if (!backend.prepareInPlace(target)) {
    tf.tidy(() => {
      variable.write(tf.sub(target, tf.mul(tf.sub(target, batch), decay)));
    });
    return;
  }
  const values = backend.floats(target);
  const statistic = backend.floats(batch);
  for (let i = 0; i < values.length; i++) {
    const delta = Math.fround(Math.fround(values[i] - statistic[i]) * decay);
    values[i] = Math.fround(values[i] - delta);
  }
}

export function installBatchNormLayer(): void {
  const prototype = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call };
  const original = prototype.call;
  prototype.call = function (this: BatchNormLayer, inputs, kwargs) {
    const backend = activeOnednn();
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const single = !Array.isArray(inputs) || inputs.length === 1;
    if (backend === null || !kwargs?.training || !single || !(x instanceof tf.Tensor) || x.dtype !== 'float32') {
      return original.call(this, inputs, kwargs);
    }
    const axis = this.axis >= 0 ? this.axis : this.axis + x.rank;
    if (axis !== x.rank - 1 || x.size === 0) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const channels = x.shape[axis];
      const scale = this.gamma?.read() ?? tf.ones([channels]);
      const offset = this.beta?.read() ?? tf.zeros([channels]);
      const [y, mean, variance] = tf
        .engine()
        .runKernel(FUSED_KERNEL_NAMES.batchNormTraining, { x, scale, offset }, { epsilon: this.epsilon }) as unknown as tf.Tensor[];
      updateMovingAverage(backend, this.movingMean, mean, this.momentum);
      updateMovingAverage(backend, this.movingVariance, variance, this.momentum);
      return y;
    });
  };
}
