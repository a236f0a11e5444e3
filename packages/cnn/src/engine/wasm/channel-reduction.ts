import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { composite } from './kernel-runner.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

/**
 * Sum and Mean over every axis but the last (per-channel statistics of an NHWC activation: batch
 * norm's moments and gradients, bias gradients) as one XNNPACK average pooling whose window covers
 * the whole tensor: a single pass, vectorised across channels. The wasm backend's own kernels first
 * transpose the tensor so that the reduced axes are innermost, 5-7x slower on ResNet-20's shapes.
 * Other reductions go to the original kernel.
 */
export function makeChannelReduction(original: tf.KernelConfig, mean: boolean) {
  return function channelReduction(args: Args): tf.TensorInfo {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leadingAxes = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
    if (!leadingAxes || x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) === 0) {
      return original.kernelFunc(args) as tf.TensorInfo;
    }
    const channels = x.shape[rank - 1];
    const rows = tf.util.sizeFromShape(x.shape) / channels;
    const columns = rank >= 3 ? x.shape[rank - 2] : 1;
    const windowShape: [number, number] = [rows / columns, columns];
    const outShape = keepDims ? [...Array<number>(rank - 1).fill(1), channels] : [channels];
    return composite(args.backend, (kernels) => {
      const pooled = kernels.run(
        tf.AvgPool,
        { x: kernels.reshape(x, [1, ...windowShape, channels]) },
        {
          filterSize: windowShape,
          strides: 1,
          pad: 'valid',
        },
      );
      if (!mean) {
        const values = args.backend.typedArrayFromHeap(pooled) as Float32Array;
        for (let c = 0; c < channels; c++) values[c] *= rows;
      }
      return kernels.reshape(pooled, outShape);
    });
  };
}
