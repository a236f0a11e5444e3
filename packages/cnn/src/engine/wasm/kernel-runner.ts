import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Runs `body`, a kernel made of other kernels, and frees every intermediate it made except the
 * result it returns; if it throws (out_of_memory, say), frees them all.
 */
export function composite(backend: BackendWasm, body: (kernels: KernelRunner) => tf.TensorInfo): tf.TensorInfo {
  const kernels = new KernelRunner(backend);
  let result: tf.TensorInfo | null = null;
  try {
    result = body(kernels);
    return result;
  } finally {
    kernels.freeAllBut(result);
  }
}

/**
 * Calls other kernels of the wasm backend from inside a kernel, the way the backend's own composite
 * kernels do, and keeps track of their results. Kernels run this way are not recorded by the engine,
 * so anything not freed would leak wasm heap memory without showing up in tf.memory().numTensors.
 */
export class KernelRunner {
  private readonly intermediates: tf.TensorInfo[] = [];

  constructor(readonly backend: BackendWasm) {}

  /** Runs the registered wasm kernel of that name, or the given kernel (a backend original we replaced). */
  run(kernel: string | tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    if (typeof kernel === 'string') {
      const registered = tf.getKernel(kernel, 'wasm');
      if (registered === undefined) throw new Error(`wasm kernel ${kernel} is not registered`);
      kernel = registered;
    }
    const result = kernel.kernelFunc({ inputs, attrs, backend: this.backend }) as tf.TensorInfo;
    this.intermediates.push(result);
    return result;
  }

  /** A new float32 tensor with uninitialised contents. */
  allocate(shape: number[]): tf.TensorInfo {
    const result = this.backend.makeOutput(shape, 'float32');
    this.intermediates.push(result);
    return result;
  }

  zeros(shape: number[]): tf.TensorInfo {
    const result = this.allocate(shape);
    (this.backend.typedArrayFromHeap(result) as Float32Array).fill(0);
    return result;
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run(tf.Transpose, { x }, { perm });
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run(tf.Reshape, { x }, { shape });
  }

  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    return this.run(tf.Slice, { x }, { begin, size });
  }

  /** Frees every intermediate except `result` (the one returned to the engine). */
  freeAllBut(result: tf.TensorInfo | null): void {
    for (const info of this.intermediates) {
      if (info !== result) this.backend.disposeData(info.dataId);
    }
    this.intermediates.length = 0;
  }
}
