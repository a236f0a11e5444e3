/**
 * How native kernels are declared: a function that computes the result, or returns null when the case
 * is one it does not handle (another dtype, an unsupported attribute), in which case the cpu backend's
 * kernel of the same name runs on the same storage.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { BACKEND_NAME } from '../names.js';

export interface KernelArgs<I = tf.NamedTensorInfoMap, A = tf.NamedAttrMap> {
  inputs: I;
  backend: OnednnBackend;
  attrs: A;
}

type Result = tf.TensorInfo | tf.TensorInfo[];
export type NativeKernelFunc<I = tf.NamedTensorInfoMap, A = tf.NamedAttrMap> = (args: KernelArgs<I, A>) => Result | null;

/** A kernel config for the onednn backend, falling back to the cpu kernel when `run` returns null. */
export function nativeKernel<I, A>(kernelName: string, run: NativeKernelFunc<I, A>): tf.KernelConfig {
  const cpu = tf.getKernel(kernelName, 'cpu');
  return {
    kernelName,
    backendName: BACKEND_NAME,
    kernelFunc: (args) => {
      const result = run({ ...args, attrs: args.attrs ?? {} } as unknown as KernelArgs<I, A>);
      if (result !== null) return result;
      if (cpu === undefined) throw new Error(`onednn: no kernel handles ${kernelName} with these inputs`);
      return cpu.kernelFunc(args) as Result;
    },
  };
}

export function allFloat32(...tensors: Array<tf.TensorInfo | null | undefined>): boolean {
  return tensors.every((t) => t == null || t.dtype === 'float32');
}

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** True while tfjs records operations for a gradient (the forward pass of a training step). */
export function recordingGradients(): boolean {
  return tf.engine().state.gradientDepth > 0;
}
