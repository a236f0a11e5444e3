import * as tf from '@tensorflow/tfjs';
import type { EngineDevice } from '../engine-info.js';
import { installDawn } from './dawn.js';

export interface WebgpuAdapter {
  device: EngineDevice;
  /** A software rasteriser (Mesa's llvmpipe, SwiftShader): correct, but slower than the CPU engines. */
  software: boolean;
}

/**
 * Finds the WebGPU adapter Dawn offers here. Throws an Error whose message says why when there is none
 * (no Vulkan driver, or one Dawn refuses).
 */
export async function findWebgpuAdapter(): Promise<WebgpuAdapter> {
  const gpu = await installDawn(dawnFlags());
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) {
    throw new Error("Dawn found no WebGPU adapter (it needs a Vulkan driver it accepts, e.g. Mesa 24 or later, or a GPU vendor's driver)");
  }
  const info = adapter.info;
  const software = info.architecture === 'software' || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const name = [info.vendor, info.description || info.device || info.architecture].filter(Boolean).join(' ');
  return { software, device: { kind: software ? 'cpu' : 'gpu', name: name || 'unnamed WebGPU adapter' } };
}

/**
 * Makes tfjs-backend-webgpu the active backend. A software adapter is used only when `forced`: tfjs's
 * CPU engines train faster than an emulated GPU.
 */
export async function loadWebgpu(forced: boolean): Promise<{ backend: string; version: string; threads: number; device: EngineDevice }> {
  const adapter = await findWebgpuAdapter();
  if (adapter.software && !forced) {
    throw new Error(`only a software adapter (${adapter.device.name}); it is used only when forced with TRAINYARD_ENGINE=webgpu`);
  }
  // Registers the backend; it is pinned to this tfjs-core's exact version, so its version is ours.
  await import('@tensorflow/tfjs-backend-webgpu');
  const ok = await tf.setBackend('webgpu');
  if (!ok || tf.getBackend() !== 'webgpu') throw new Error("tfjs backend 'webgpu' failed to initialise");
  return { backend: 'webgpu', version: tf.version_core, threads: 1, device: adapter.device };
}

/** Dawn's options from the environment: TRAINYARD_WEBGPU_ADAPTER picks an adapter by (part of) its name. */
function dawnFlags(): string[] {
  const adapter = process.env.TRAINYARD_WEBGPU_ADAPTER;
  return adapter ? [`adapter=${adapter}`] : [];
}
