/** Concat, SplitV, Slice, PadV2 and Transpose: copies between layouts, done natively. */
import * as tf from '@tensorflow/tfjs';
import { allFloat32, nativeKernel, sizeOf } from './kernel.js';

export const layoutKernels: tf.KernelConfig[] = [
  nativeKernel<tf.TensorInfo[], { axis: number }>('Concat', ({ inputs, backend, attrs }) => {
    const tensors = (inputs as unknown as tf.TensorInfo[]).filter((t) => sizeOf(t.shape) > 0);
    if (tensors.length === 0 || !allFloat32(...tensors)) return null;
    const axis = tf.util.parseAxisParam(attrs.axis, tensors[0].shape)[0];
    const shapes = tensors.map((t) => t.shape);
    const outShape = tf.backend_util.computeOutShape(shapes, axis);
    const outer = sizeOf(outShape.slice(0, axis));
    const inner = Int32Array.from(shapes, (shape) => sizeOf(shape.slice(axis)));
    const out = backend.allocate(sizeOf(outShape));
    backend.native.concat(
      tensors.map((t) => backend.floats(t)),
      inner,
      outer,
      out,
    );
    return backend.output(out, outShape);
  }),
  nativeKernel<{ x: tf.TensorInfo }, { numOrSizeSplits: number | number[]; axis: number }>(
    'SplitV',
    ({ inputs: { x }, backend, attrs }) => {
      if (!allFloat32(x) || sizeOf(x.shape) === 0) return null;
      const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
      const outer = sizeOf(x.shape.slice(0, axis));
      const rest = sizeOf(x.shape.slice(axis + 1));
      const shapes = sizes.map((size) => x.shape.map((d, i) => (i === axis ? size : d)));
      const parts = shapes.map((shape) => backend.allocate(sizeOf(shape)));
      backend.native.split(
        backend.floats(x),
        Int32Array.from(sizes, (size) => size * rest),
        outer,
        parts,
      );
      return parts.map((part, i) => backend.output(part, shapes[i]));
    },
  ),
  nativeKernel<{ x: tf.TensorInfo }, { begin: number | number[]; size: number | number[] }>(
    'Slice',
    ({ inputs: { x }, backend, attrs }) => {
      if (!allFloat32(x)) return null;
      const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
      // A contiguous slice is a view of the input's buffer in the cpu kernel: no copy at all.
      if (sizeOf(size) === 0 || tf.slice_util.isSliceContinous(x.shape, begin, size)) return null;
      const out = backend.allocate(sizeOf(size));
      backend.native.slice(backend.floats(x), out, Int32Array.of(x.shape.length, ...x.shape, ...begin, ...size));
      return backend.output(out, size);
    },
  ),
  nativeKernel<{ x: tf.TensorInfo }, { paddings: Array<[number, number]>; constantValue: number }>(
    'PadV2',
    ({ inputs: { x }, backend, attrs }) => {
      if (!allFloat32(x) || sizeOf(x.shape) === 0 || x.shape.length === 0) return null;
      const outShape = x.shape.map((d, i) => attrs.paddings[i][0] + d + attrs.paddings[i][1]);
      const out = backend.allocate(sizeOf(outShape));
      const description = Int32Array.of(x.shape.length, ...x.shape, ...attrs.paddings.map((p) => p[0]), ...attrs.paddings.map((p) => p[1]));
      backend.native.pad(backend.floats(x), out, description, attrs.constantValue);
      return backend.output(out, outShape);
    },
  ),
  nativeKernel<{ x: tf.TensorInfo }, { perm: number[] }>('Transpose', ({ inputs: { x }, backend, attrs }) => {
    if (!allFloat32(x) || sizeOf(x.shape) === 0 || x.shape.length < 2) return null;
    const outShape = attrs.perm.map((axis) => x.shape[axis]);
    const out = backend.allocate(sizeOf(outShape));
    backend.native.transpose(backend.floats(x), out, Int32Array.of(x.shape.length, ...x.shape, ...attrs.perm));
    return backend.output(out, outShape);
  }),
];
