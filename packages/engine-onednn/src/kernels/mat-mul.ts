/** BatchMatMul and _FusedMatMul (bias and ReLU fused), either operand transposed in place. */
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { Activation, fusedActivation } from './conv.js';
import { allFloat32, nativeKernel, sizeOf } from './kernel.js';

interface MatMulPlan {
  params: Int32Array;
  outShape: number[];
}

/**
 * Batch dimensions must be equal, or one side's all 1 (one matrix against a batch): the broadcasts
 * oneDNN's matmul takes. Anything else is left to the cpu kernel.
 */
export function matMulPlan(
  aShape: number[],
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
  hasBias: boolean,
  activation: Activation,
): MatMulPlan | null {
  if (aShape.length < 2 || bShape.length < 2) return null;
  const aOuter = aShape.slice(0, -2);
  const bOuter = bShape.slice(0, -2);
  const m = transposeA ? aShape[aShape.length - 1] : aShape[aShape.length - 2];
  const k = transposeA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  const kB = transposeB ? bShape[bShape.length - 1] : bShape[bShape.length - 2];
  const n = transposeB ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
  if (k !== kB) return null;
  const batchA = sizeOf(aOuter);
  const batchB = sizeOf(bOuter);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(aOuter, bOuter);
  } catch {
    return null;
  }
  const batch = sizeOf(outer);
  if (!((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1))) return null;
  if (m * n * k === 0 || batchA * batchB === 0) return null;
  return {
    params: Int32Array.of(batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0, hasBias ? 1 : 0, activation),
    outShape: [...outer, m, n],
  };
}

function run(
  backend: OnednnBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  bias: tf.TensorInfo | null,
  transposeA: boolean,
  transposeB: boolean,
  activation: Activation,
): tf.TensorInfo | null {
  if (!allFloat32(a, b, bias)) return null;
  const plan = matMulPlan(a.shape, b.shape, transposeA, transposeB, bias !== null, activation);
  if (plan === null) return null;
  if (bias !== null && sizeOf(bias.shape) !== plan.outShape[plan.outShape.length - 1]) return null;
  const c = backend.allocate(sizeOf(plan.outShape));
  backend.native.matMul(plan.params, backend.floats(a), backend.floats(b), bias === null ? null : backend.floats(bias), c);
  return backend.output(c, plan.outShape);
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
}

export const matMulKernels: tf.KernelConfig[] = [
  nativeKernel<{ a: tf.TensorInfo; b: tf.TensorInfo }, MatMulAttrs>('BatchMatMul', ({ inputs: { a, b }, backend, attrs }) =>
    run(backend, a, b, null, attrs.transposeA, attrs.transposeB, Activation.Linear),
  ),
  nativeKernel<{ a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo }, MatMulAttrs>(
    '_FusedMatMul',
    ({ inputs: { a, b, bias, preluActivationWeights }, backend, attrs }) => {
      const activation = fusedActivation(attrs.activation);
      if (activation === null || preluActivationWeights != null) return null;
      return run(backend, a, b, bias ?? null, attrs.transposeA, attrs.transposeB, activation);
    },
  ),
];
