/**
 * @trainyard/engine-onednn: a TensorFlow.js CPU backend ('onednn') whose training kernels run natively
 * on Intel oneDNN, sharing the cpu backend's tensor storage for everything else.
 */
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from './addon.js';
import type { OnednnBackend } from './backend.js';
import { BACKEND_NAME } from './names.js';
import { registerOnednnBackend } from './register.js';

export { BACKEND_NAME } from './names.js';
export { registerOnednnBackend, nativeKernelConfigs } from './register.js';
export { OnednnBackend } from './backend.js';
export { FUSED_KERNEL_NAMES } from './kernels/fused.js';

/** Why the native engine cannot run here, or null when it can. */
export function onednnUnavailableReason(): string | null {
  const status = loadAddon();
  return status.available ? null : status.reason;
}

export interface OnednnEngineInfo {
  backend: string;
  /** oneDNN's version (the library the kernels run on). */
  version: string;
  threads: number;
}

/**
 * Registers the backend if needed and makes it tfjs's active backend. Throws an Error whose message
 * says why when the addon is unavailable.
 */
export async function activateOnednnBackend(): Promise<OnednnEngineInfo> {
  registerOnednnBackend();
  const ok = await tf.setBackend(BACKEND_NAME);
  if (!ok || tf.getBackend() !== BACKEND_NAME) throw new Error(`tfjs backend '${BACKEND_NAME}' failed to initialise`);
  const info = (tf.backend() as OnednnBackend).native.info();
  return { backend: BACKEND_NAME, version: `onednn-${info.onednnVersion}`, threads: info.threads };
}

/** Frees memory the active onednn backend keeps for reuse (recycled arrays, primitives, scratch). */
export function releaseOnednnMemory(): void {
  if (tf.getBackend() === BACKEND_NAME) (tf.backend() as OnednnBackend).releaseMemory();
}
