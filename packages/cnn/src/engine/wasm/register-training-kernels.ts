import * as tf from '@tensorflow/tfjs';
import { makeBatchMatMul } from './batch-mat-mul.js';
import { conv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInput } from './conv2d-backprop-input.js';
import { makeChannelReduction } from './channel-reduction.js';
import { maxPoolGrad } from './max-pool-grad.js';
import { makeTile } from './tile.js';
import { identity, makeCast } from './zero-copy.js';

/**
 * A kernel we register on the wasm backend. `make` receives the backend's own kernel of that name
 * (undefined when it has none) so that ours can fall back to it for cases it does not handle.
 */
interface TrainingKernel {
  kernelName: string;
  make(original: tf.KernelConfig | undefined): (args: never) => tf.TensorInfo;
}

/** Kernels CNN training needs that tfjs-backend-wasm 4.22 lacks or runs slowly. */
const TRAINING_KERNELS: TrainingKernel[] = [
  { kernelName: tf.Conv2DBackpropFilter, make: () => conv2DBackpropFilter },
  { kernelName: tf.Conv2DBackpropInput, make: makeConv2DBackpropInput },
  { kernelName: tf.MaxPoolGrad, make: () => maxPoolGrad },
  { kernelName: tf.BatchMatMul, make: (original) => makeBatchMatMul(required(original, tf.BatchMatMul)) },
  { kernelName: tf.Tile, make: (original) => makeTile(required(original, tf.Tile)) },
  { kernelName: tf.Sum, make: (original) => makeChannelReduction(required(original, tf.Sum), false) },
  { kernelName: tf.Mean, make: (original) => makeChannelReduction(required(original, tf.Mean), true) },
  { kernelName: tf.Identity, make: () => identity },
  { kernelName: tf.Cast, make: (original) => makeCast(required(original, tf.Cast)) },
];

/** The backend's own kernels we replaced, kept for fallbacks and for tests that compare against them. */
const originals = new Map<string, tf.KernelConfig | undefined>();
const registered = new Map<string, tf.KernelConfig>();

/**
 * Registers our training kernels on the wasm backend (importing @tensorflow/tfjs-backend-wasm must
 * have registered its own first). Safe to call more than once. Returns the kernel names.
 */
export function registerWasmTrainingKernels(): string[] {
  for (const kernel of TRAINING_KERNELS) {
    const existing = tf.getKernel(kernel.kernelName, 'wasm');
    if (existing !== undefined && existing === registered.get(kernel.kernelName)) continue;
    originals.set(kernel.kernelName, existing);
    const config: tf.KernelConfig = {
      kernelName: kernel.kernelName,
      backendName: 'wasm',
      kernelFunc: kernel.make(existing) as unknown as tf.KernelFunc,
      // The backend runs setup functions when it initialises: the original's binds its wasm export,
      // which our fallbacks call.
      setupFunc: existing?.setupFunc,
      disposeFunc: existing?.disposeFunc,
    };
    if (existing !== undefined) tf.unregisterKernel(kernel.kernelName, 'wasm');
    tf.registerKernel(config);
    registered.set(kernel.kernelName, config);
  }
  return TRAINING_KERNELS.map((kernel) => kernel.kernelName);
}

/** The wasm backend's own kernel that ours replaced (undefined when it had none), for comparisons. */
export function originalWasmKernel(kernelName: string): tf.KernelConfig | undefined {
  return originals.get(kernelName);
}

function required(config: tf.KernelConfig | undefined, kernelName: string): tf.KernelConfig {
  if (config === undefined) throw new Error(`the wasm backend has no ${kernelName} kernel to build on`);
  return config;
}
