/** Element-wise arithmetic with broadcasting, unary functions and AddN, on float32 tensors. */
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { allFloat32, nativeKernel, sizeOf } from './kernel.js';

/** native/elementwise.cc's operation codes. */
enum Binary {
  Add = 0,
  Sub,
  Mul,
  Div,
  SquaredDifference,
  Maximum,
  Minimum,
}

enum Unary {
  Relu = 0,
  Step,
  Sqrt,
  Rsqrt,
  Square,
  Exp,
  Log,
  Neg,
  Abs,
  Reciprocal,
  Relu6,
  Sigmoid,
  Tanh,
}

/** [rank, outShape..., aStrides..., bStrides...] with stride 0 along broadcast axes. */
function broadcastDescription(aShape: number[], bShape: number[], outShape: number[]): Int32Array {
  const rank = outShape.length;
  const strides = (shape: number[]): number[] => {
    const result = new Array<number>(rank).fill(0);
    let stride = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      const axis = i + rank - shape.length;
      result[axis] = shape[i] === 1 ? 0 : stride;
      stride *= shape[i];
    }
    return result;
  };
  return Int32Array.of(rank, ...outShape, ...strides(aShape), ...strides(bShape));
}

function runBinary(backend: OnednnBackend, op: number, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo | null {
  if (!allFloat32(a, b)) return null;
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = sizeOf(outShape);
  if (size === 0 || outShape.length > 8) return null;
  const out = backend.allocate(size);
  backend.native.binary(op, backend.floats(a), backend.floats(b), out, broadcastDescription(a.shape, b.shape, outShape));
  return backend.output(out, outShape);
}

function binaryKernel(kernelName: string, op: Binary): tf.KernelConfig {
  return nativeKernel<{ a: tf.TensorInfo; b: tf.TensorInfo }, tf.NamedAttrMap>(kernelName, ({ inputs: { a, b }, backend }) =>
    runBinary(backend, op, a, b),
  );
}

function unaryKernel(kernelName: string, op: Unary): tf.KernelConfig {
  return nativeKernel<{ x: tf.TensorInfo }, { alpha?: number }>(kernelName, ({ inputs: { x }, backend, attrs }) => {
    if (!allFloat32(x) || sizeOf(x.shape) === 0) return null;
    const out = backend.allocate(sizeOf(x.shape));
    backend.native.unary(op, backend.floats(x), out, attrs.alpha ?? 0);
    return backend.output(out, x.shape);
  });
}

/**
 * Cast to float32 of int32 or bool data: a real float32 copy. (The cpu backend shares the integer array
 * instead, which every native kernel reading the result would then have to convert again.)
 */
const castKernel = nativeKernel<{ x: tf.TensorInfo }, { dtype: tf.DataType }>('Cast', ({ inputs: { x }, backend, attrs }) => {
  if (attrs.dtype !== 'float32' || (x.dtype !== 'int32' && x.dtype !== 'bool')) return null;
  const values = backend.data.get(x.dataId).values as Int32Array | Uint8Array;
  const out = backend.allocate(values.length);
  out.set(values);
  return backend.output(out, x.shape);
});

export const elementwiseKernels: tf.KernelConfig[] = [
  binaryKernel('Add', Binary.Add),
  binaryKernel('Sub', Binary.Sub),
  binaryKernel('Multiply', Binary.Mul),
  binaryKernel('RealDiv', Binary.Div),
  binaryKernel('SquaredDifference', Binary.SquaredDifference),
  binaryKernel('Maximum', Binary.Maximum),
  binaryKernel('Minimum', Binary.Minimum),
  unaryKernel('Relu', Unary.Relu),
  unaryKernel('Step', Unary.Step),
  unaryKernel('Sqrt', Unary.Sqrt),
  unaryKernel('Rsqrt', Unary.Rsqrt),
  unaryKernel('Square', Unary.Square),
  unaryKernel('Exp', Unary.Exp),
  unaryKernel('Log', Unary.Log),
  unaryKernel('Neg', Unary.Neg),
  unaryKernel('Abs', Unary.Abs),
  unaryKernel('Reciprocal', Unary.Reciprocal),
  unaryKernel('Relu6', Unary.Relu6),
  unaryKernel('Sigmoid', Unary.Sigmoid),
  unaryKernel('Tanh', Unary.Tanh),
  castKernel,
  nativeKernel<tf.TensorInfo[], tf.NamedAttrMap>('AddN', ({ inputs, backend }) => {
    const tensors = inputs as unknown as tf.TensorInfo[];
    if (tensors.length === 0 || !allFloat32(...tensors)) return null;
    const shape = tensors[0].shape;
    if (sizeOf(shape) === 0 || tensors.some((t) => !tf.util.arraysEqual(t.shape, shape))) return null;
    const out = backend.allocate(sizeOf(shape));
    backend.native.addN(
      tensors.map((t) => backend.floats(t)),
      out,
    );
    return backend.output(out, shape);
  }),
];
