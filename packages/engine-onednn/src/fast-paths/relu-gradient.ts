/**
 * The Relu gradient as one kernel on the onednn backend (tfjs computes dy * step(x) with three).
 * Gradients are registered globally: on every other backend tfjs's own gradient runs.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNEL_NAMES } from '../kernels/fused.js';
import { activeOnednn } from './active.js';

export function installReluGradient(): void {
  const original = tf.getGradient('Relu');
  if (original === undefined) throw new Error("tfjs has no gradient for 'Relu'");
  tf.registerGradient({
    ...original,
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (activeOnednn() === null || (dy as tf.Tensor).dtype !== 'float32' || saved[0].dtype !== 'float32') {
        return original.gradFunc(dy, saved, attrs);
      }
      return { x: () => tf.engine().runKernel(FUSED_KERNEL_NAMES.reluBackward, { dy: dy as tf.Tensor, y: saved[0] }) as tf.Tensor };
    },
  });
}
