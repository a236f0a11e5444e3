/** Sum, Mean, Max and Min over adjacent axes (after dropping size-1 axes), on float32 tensors. */
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { allFloat32, nativeKernel, sizeOf } from './kernel.js';

enum Reduce {
  Sum = 0,
  Mean,
  Max,
  Min,
}

/** The input as [outer, reduced, inner], or null when the reduced axes are not adjacent. */
function reductionView(shape: number[], axes: number[]): [number, number, number] | null {
  const reduced = new Set(axes);
  const kept = shape.map((_, i) => i).filter((i) => shape[i] !== 1);
  const flags = kept.map((i) => reduced.has(i));
  const first = flags.indexOf(true);
  if (first === -1) return [sizeOf(shape), 1, 1];
  const last = flags.lastIndexOf(true);
  if (flags.slice(first, last + 1).some((f) => !f)) return null;
  const dims = kept.map((i) => shape[i]);
  return [sizeOf(dims.slice(0, first)), sizeOf(dims.slice(first, last + 1)), sizeOf(dims.slice(last + 1))];
}

function runReduce(
  backend: OnednnBackend,
  op: number,
  x: tf.TensorInfo,
  axis: number | number[] | undefined,
  keepDims: boolean,
): tf.TensorInfo | null {
  if (!allFloat32(x) || sizeOf(x.shape) === 0) return null;
  const axes = tf.util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape);
  const view = reductionView(x.shape, axes);
  if (view === null) return null;
  const [outer, reduced, inner] = view;
  const outShape = keepDims
    ? tf.backend_util.expandShapeToKeepDim(tf.backend_util.computeOutAndReduceShapes(x.shape, axes)[0], axes)
    : tf.backend_util.computeOutAndReduceShapes(x.shape, axes)[0];
  const out = backend.allocate(outer * inner);
  backend.native.reduce(op, backend.floats(x), out, outer, reduced, inner);
  return backend.output(out, outShape);
}

export const reduceKernels: tf.KernelConfig[] = [
  nativeKernel<{ x: tf.TensorInfo }, { axis: number | number[]; keepDims: boolean }>('Sum', ({ inputs: { x }, backend, attrs }) =>
    runReduce(backend, Reduce.Sum, x, attrs.axis, attrs.keepDims),
  ),
  nativeKernel<{ x: tf.TensorInfo }, { axis: number | number[]; keepDims: boolean }>('Mean', ({ inputs: { x }, backend, attrs }) =>
    runReduce(backend, Reduce.Mean, x, attrs.axis, attrs.keepDims),
  ),
  nativeKernel<{ x: tf.TensorInfo }, { reductionIndices: number | number[]; keepDims: boolean }>(
    'Max',
    ({ inputs: { x }, backend, attrs }) => runReduce(backend, Reduce.Max, x, attrs.reductionIndices, attrs.keepDims),
  ),
  nativeKernel<{ x: tf.TensorInfo }, { axis: number | number[]; keepDims: boolean }>('Min', ({ inputs: { x }, backend, attrs }) =>
    runReduce(backend, Reduce.Min, x, attrs.axis, attrs.keepDims),
  ),
];
