/**
 * Registers the 'onednn' backend with tfjs: every cpu kernel under the new backend's name, then the
 * native kernels over them, then the fast paths (fused layers, losses and optimizer updates) that take
 * effect only while 'onednn' is the active backend.
 */
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from './addon.js';
import { OnednnBackend } from './backend.js';
import { installFastPaths } from './fast-paths/install.js';
import { batchNormKernels } from './kernels/batch-norm.js';
import { convPoolKernels } from './kernels/conv-pool.js';
import { conv2dKernels } from './kernels/conv.js';
import { elementwiseKernels } from './kernels/elementwise.js';
import { fusedKernels } from './kernels/fused.js';
import { layoutKernels } from './kernels/layout.js';
import { matMulKernels } from './kernels/mat-mul.js';
import { poolKernels } from './kernels/pool.js';
import { reduceKernels } from './kernels/reduce.js';
import { BACKEND_NAME } from './names.js';

let registered = false;

/** The native kernels, by tfjs kernel name (tfjs's own names and this package's fused ones). */
export function nativeKernelConfigs(): tf.KernelConfig[] {
  return [
    ...conv2dKernels,
    ...poolKernels,
    ...batchNormKernels,
    ...matMulKernels,
    ...layoutKernels,
    ...elementwiseKernels,
    ...reduceKernels,
    ...fusedKernels,
    ...convPoolKernels,
  ];
}

/**
 * Registers the backend (once per process). Throws an Error saying why when the native addon is not
 * available; nothing is registered then.
 */
export function registerOnednnBackend(): void {
  if (registered) return;
  const status = loadAddon();
  if (!status.available) throw new Error(status.reason);
  const addon = status.addon;
  const native = nativeKernelConfigs();
  const nativeNames = new Set(native.map((k) => k.kernelName));
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (!nativeNames.has(kernel.kernelName)) tf.registerKernel({ ...kernel, backendName: BACKEND_NAME });
  }
  for (const kernel of native) tf.registerKernel(kernel);
  // Priority 0: never chosen by tfjs on its own, only by setBackend('onednn').
  tf.registerBackend(BACKEND_NAME, () => new OnednnBackend(addon), 0);
  installFastPaths();
  registered = true;
}
