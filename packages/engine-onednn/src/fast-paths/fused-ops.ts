/**
 * tf.fused.conv2d and tf.fused.matMul (what tfjs-layers' Conv2D and Dense call) on the onednn backend:
 * one native kernel with bias and ReLU fused, also while gradients are recorded, where tfjs would run
 * the convolution, an Add and a Relu forward and five kernels more backward.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_KERNEL_NAMES, type FusedConvAttrs, type FusedMatMulAttrs } from '../kernels/fused.js';
import { activeOnednn } from './active.js';

type FusedConv2dArgs = Parameters<typeof tf.fused.conv2d>[0];
type FusedMatMulArgs = Parameters<typeof tf.fused.matMul>[0];
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function isFloatTensor(value: unknown, rank?: number): value is tf.Tensor {
  return value instanceof tf.Tensor && value.dtype === 'float32' && (rank === undefined || value.rank === rank);
}

function isOne(value: number | [number, number] | undefined): boolean {
  return value === undefined || value === 1 || (Array.isArray(value) && value[0] === 1 && value[1] === 1);
}

function supportedActivation(activation: string | undefined): activation is 'linear' | 'relu' | undefined {
  return activation === undefined || activation === 'linear' || activation === 'relu';
}

function fastConv2d(args: FusedConv2dArgs): tf.Tensor | null {
  const { x, filter, bias, activation } = args;
  if (!isFloatTensor(x, 4) || !isFloatTensor(filter, 4) || x.shape[3] !== filter.shape[2]) return null;
  if ((args.dataFormat ?? 'NHWC') !== 'NHWC' || !isOne(args.dilations) || args.preluActivationWeights != null) return null;
  if (!supportedActivation(activation)) return null;
  if (bias != null && !(isFloatTensor(bias, 1) && bias.shape[0] === filter.shape[3])) return null;
  const inputs: tf.NamedTensorMap = bias != null ? { x, filter, bias: bias as tf.Tensor } : { x, filter };
  const attrs: FusedConvAttrs = {
    strides: args.strides,
    pad: args.pad,
    dimRoundingMode: args.dimRoundingMode,
    activation: activation ?? 'linear',
  };
  return tf.engine().runKernel(FUSED_KERNEL_NAMES.conv2d, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

function fastMatMul(args: FusedMatMulArgs): tf.Tensor | null {
  const { a, b, bias, activation } = args;
  if (!isFloatTensor(a, 2) || !isFloatTensor(b, 2) || args.preluActivationWeights != null || !supportedActivation(activation)) return null;
  const transposeA = args.transposeA ?? false;
  const transposeB = args.transposeB ?? false;
  const inner = transposeA ? a.shape[0] : a.shape[1];
  const units = transposeB ? b.shape[0] : b.shape[1];
  if (inner !== (transposeB ? b.shape[1] : b.shape[0])) return null;
  if (bias != null && !(isFloatTensor(bias, 1) && bias.shape[0] === units)) return null;
  const inputs: tf.NamedTensorMap = bias != null ? { a, b, bias: bias as tf.Tensor } : { a, b };
  const attrs: FusedMatMulAttrs = { transposeA, transposeB, activation: activation ?? 'linear' };
  return tf.engine().runKernel(FUSED_KERNEL_NAMES.matMul, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

export function installFusedOps(): void {
  const fused = tf.fused as Mutable<typeof tf.fused>;
  const conv2d = fused.conv2d;
  const matMul = fused.matMul;
  fused.conv2d = ((args: FusedConv2dArgs) => (activeOnednn() && fastConv2d(args)) || conv2d(args)) as typeof conv2d;
  fused.matMul = ((args: FusedMatMulArgs) => (activeOnednn() && fastMatMul(args)) || matMul(args)) as typeof matMul;
}
