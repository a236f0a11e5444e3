import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { composite, type KernelRunner } from './kernel-runner.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

/**
 * Matrix products with a transposed operand, as the gradients of every dense layer ask for, run
 * 5-10x slower in the wasm backend than plain ones (its fast XNNPACK path takes only untransposed
 * operands). Transposing the operand explicitly first is much cheaper.
 */
export function makeBatchMatMul(original: tf.KernelConfig) {
  return function batchMatMul(args: Args): tf.TensorInfo {
    const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return original.kernelFunc(args) as tf.TensorInfo;
    }
    return composite(args.backend, (kernels) => {
      const inputs = {
        a: transposeA ? transposeLastTwo(kernels, a) : a,
        b: transposeB ? transposeLastTwo(kernels, b) : b,
      };
      return kernels.run(original, inputs, { ...args.attrs, transposeA: false, transposeB: false });
    });
  };
}

function transposeLastTwo(kernels: KernelRunner, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return kernels.transpose(x, perm);
}
