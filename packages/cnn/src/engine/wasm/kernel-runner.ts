import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Calls other kernels of the wasm backend from inside a kernel, the way the backend's own composite
 * kernels do, and frees every intermediate result when done. Kernels run this way are not recorded
 * by the engine, so anything not freed here would leak wasm heap memory without showing up in
 * tf.memory().numTensors.
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

  /** Frees every intermediate except `result`, which the caller returns to the engine. */
  finish(result: tf.TensorInfo): tf.TensorInfo {
    for (const info of this.intermediates) {
      if (info !== result) this.backend.disposeData(info.dataId);
    }
    this.intermediates.length = 0;
    return result;
  }
}
