/**
 * MaxPool, AvgPool and their gradients. Max pooling run while tfjs records gradients keeps oneDNN's
 * workspace (where each maximum was) with its output, for MaxPoolGrad.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { allFloat32, nativeKernel, recordingGradients, sizeOf } from './kernel.js';

enum PoolKind {
  Max = 0,
  AverageExcludingPadding = 1,
  AverageIncludingPadding = 2,
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function poolInfo(xShape: number[], attrs: PoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

function poolParams(info: tf.backend_util.Conv2DInfo, kind: PoolKind): Int32Array {
  const pad = info.padInfo;
  return Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    pad.top,
    pad.left,
    pad.bottom,
    pad.right,
    kind,
  );
}

function usable(x: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): boolean {
  return (
    x.shape.length === 4 && info.dilationHeight === 1 && info.dilationWidth === 1 && sizeOf(info.outShape) > 0 && sizeOf(info.inShape) > 0
  );
}

/** Workspace bytes per parameter block (asking oneDNN builds a primitive: do it once per shape). */
const workspaceBytes = new Map<string, number>();

function workspaceFor(backend: OnednnBackend, params: Int32Array): Uint8Array {
  const key = params.join(',');
  let bytes = workspaceBytes.get(key);
  if (bytes === undefined) {
    bytes = backend.native.poolWorkspaceBytes(params);
    workspaceBytes.set(key, bytes);
  }
  const words = backend.allocate(Math.ceil(bytes / 4));
  return new Uint8Array(words.buffer, words.byteOffset, bytes);
}

export const poolKernels: tf.KernelConfig[] = [
  nativeKernel<{ x: tf.TensorInfo }, PoolAttrs>('MaxPool', ({ inputs: { x }, backend, attrs }) => {
    if (!allFloat32(x)) return null;
    const info = poolInfo(x.shape, attrs);
    if (!usable(x, info)) return null;
    const params = poolParams(info, PoolKind.Max);
    const y = backend.allocate(sizeOf(info.outShape));
    const workspace = recordingGradients() ? workspaceFor(backend, params) : null;
    backend.native.poolForward(params, backend.floats(x), y, workspace);
    const output = backend.output(y, info.outShape);
    if (workspace !== null) backend.attach(output, workspace);
    return output;
  }),
  nativeKernel<{ dy: tf.TensorInfo; input: tf.TensorInfo; output: tf.TensorInfo }, PoolAttrs>(
    'MaxPoolGrad',
    ({ inputs: { dy, input, output }, backend, attrs }) => {
      if (!allFloat32(dy, input)) return null;
      const info = poolInfo(input.shape, attrs);
      if (!usable(input, info)) return null;
      const workspace = backend.attached<Uint8Array>(output) ?? null;
      const dx = backend.allocate(sizeOf(info.inShape));
      backend.native.poolBackward(
        poolParams(info, PoolKind.Max),
        backend.floats(dy),
        dx,
        workspace,
        workspace === null ? backend.floats(input) : null,
      );
      return backend.output(dx, info.inShape);
    },
  ),
  nativeKernel<{ x: tf.TensorInfo }, PoolAttrs>('AvgPool', ({ inputs: { x }, backend, attrs }) => {
    if (!allFloat32(x)) return null;
    const info = poolInfo(x.shape, attrs);
    if (!usable(x, info)) return null;
    const y = backend.allocate(sizeOf(info.outShape));
    // tfjs averages over the window's cells inside the input.
    backend.native.poolForward(poolParams(info, PoolKind.AverageExcludingPadding), backend.floats(x), y, null);
    return backend.output(y, info.outShape);
  }),
  nativeKernel<{ dy: tf.TensorInfo; input: tf.TensorInfo }, PoolAttrs>('AvgPoolGrad', ({ inputs: { dy, input }, backend, attrs }) => {
    if (!allFloat32(dy, input)) return null;
    const info = poolInfo(input.shape, attrs);
    if (!usable(input, info)) return null;
    const dx = backend.allocate(sizeOf(info.inShape));
    // tfjs's gradient divides by the whole window size even where its forward pass did not (padding).
    backend.native.poolBackward(poolParams(info, PoolKind.AverageIncludingPadding), backend.floats(dy), dx, null, null);
    return backend.output(dx, info.inShape);
  }),
];
