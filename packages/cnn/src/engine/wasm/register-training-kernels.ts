import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';

/** Kernels CNN training needs that tfjs-backend-wasm 4.22 lacks or runs slowly. */
const TRAINING_KERNELS: tf.KernelConfig[] = [conv2DBackpropFilterConfig];

/**
 * Registers our training kernels on the wasm backend, replacing the backend's own version where it
 * has one. Safe to call more than once.
 */
export function registerWasmTrainingKernels(): string[] {
  for (const config of TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') === config) continue;
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  return TRAINING_KERNELS.map((config) => config.kernelName);
}
