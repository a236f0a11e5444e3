/** Conv2D, FusedConv2D (bias and ReLU fused) and both convolution gradients, on NHWC data. */
import * as tf from '@tensorflow/tfjs';
import { allFloat32, nativeKernel, sizeOf, type KernelArgs } from './kernel.js';

export enum Activation {
  Linear = 0,
  Relu = 1,
}

/** The activations oneDNN fuses into a convolution or matrix product ('linear' or absent: none). */
export function fusedActivation(name: string | undefined | null): Activation | null {
  if (name == null || name === 'linear') return Activation.Linear;
  if (name === 'relu') return Activation.Relu;
  return null;
}

/** native/conv.cc's parameter block. */
export function convParams(info: tf.backend_util.Conv2DInfo, activation: Activation, hasBias: boolean): Int32Array {
  const pad = info.padInfo;
  return Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    pad.top,
    pad.left,
    pad.bottom,
    pad.right,
    activation,
    hasBias ? 1 : 0,
  );
}

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: RoundingMode;
  activation?: string;
  leakyreluAlpha?: number;
}

export function conv2dInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Pick<ConvAttrs, 'strides' | 'pad' | 'dimRoundingMode'> & { dilations?: number | [number, number] },
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

function empty(info: tf.backend_util.Conv2DInfo): boolean {
  return sizeOf(info.inShape) === 0 || sizeOf(info.outShape) === 0 || sizeOf(info.filterShape) === 0;
}

function forward(
  { backend }: KernelArgs,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  bias: tf.TensorInfo | null,
  attrs: ConvAttrs,
  activation: Activation,
): tf.TensorInfo | null {
  if (attrs.dataFormat === 'NCHW' || x.shape.length !== 4 || !allFloat32(x, filter, bias)) return null;
  const info = conv2dInfo(x.shape, filter.shape, attrs);
  if (empty(info)) return null;
  if (bias !== null && sizeOf(bias.shape) !== info.outChannels) return null;
  const y = backend.allocate(sizeOf(info.outShape));
  backend.native.conv2dForward(
    convParams(info, activation, bias !== null),
    backend.floats(x),
    backend.floats(filter),
    bias === null ? null : backend.floats(bias),
    y,
  );
  return backend.output(y, info.outShape);
}

export const conv2dKernels: tf.KernelConfig[] = [
  nativeKernel<{ x: tf.TensorInfo; filter: tf.TensorInfo }, ConvAttrs>('Conv2D', (args) =>
    forward(args as unknown as KernelArgs, args.inputs.x, args.inputs.filter, null, args.attrs, Activation.Linear),
  ),
  nativeKernel<{ x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo }, ConvAttrs>(
    'FusedConv2D',
    (args) => {
      const activation = fusedActivation(args.attrs.activation);
      if (activation === null || args.inputs.preluActivationWeights != null) return null;
      return forward(args as unknown as KernelArgs, args.inputs.x, args.inputs.filter, args.inputs.bias ?? null, args.attrs, activation);
    },
  ),
  nativeKernel<{ dy: tf.TensorInfo; filter: tf.TensorInfo }, ConvAttrs & { inputShape: number[] }>(
    'Conv2DBackpropInput',
    ({ inputs: { dy, filter }, backend, attrs }) => {
      if (attrs.dataFormat === 'NCHW' || !allFloat32(dy, filter)) return null;
      const info = conv2dInfo(attrs.inputShape, filter.shape, { ...attrs, dilations: 1 });
      if (empty(info)) return null;
      const dx = backend.allocate(sizeOf(info.inShape));
      backend.native.conv2dBackwardData(convParams(info, Activation.Linear, false), backend.floats(dy), backend.floats(filter), dx, null);
      return backend.output(dx, info.inShape);
    },
  ),
  nativeKernel<{ x: tf.TensorInfo; dy: tf.TensorInfo }, ConvAttrs & { filterShape: number[] }>(
    'Conv2DBackpropFilter',
    ({ inputs: { x, dy }, backend, attrs }) => {
      if (attrs.dataFormat === 'NCHW' || !allFloat32(x, dy)) return null;
      const info = conv2dInfo(x.shape, attrs.filterShape, { ...attrs, dilations: 1 });
      if (empty(info)) return null;
      const dFilter = backend.allocate(sizeOf(info.filterShape));
      backend.native.conv2dBackwardWeights(
        convParams(info, Activation.Linear, false),
        backend.floats(x),
        backend.floats(dy),
        dFilter,
        null,
      );
      return backend.output(dFilter, info.filterShape);
    },
  ),
];
