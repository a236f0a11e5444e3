import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Float32 views of tensors on the wasm heap, for kernels written in JavaScript. Take the views only
 * after every output is allocated: allocating can grow the heap, which detaches earlier views.
 */
export function heapFloats(backend: BackendWasm, info: tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}
