import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import type { EngineDevice } from '../engine-info.js';
import { installDawn } from './dawn.js';
import { readCnnEnv } from '../../env.js';

interface WebgpuAdapter {
  device: EngineDevice;
  /** A software rasteriser (Mesa's llvmpipe, SwiftShader): correct, but slower than the CPU engines. */
  software: boolean;
}

/**
 * Finds the WebGPU adapter Dawn offers here. Throws an Error whose message says why when there is none
 * (no Vulkan driver, or one Dawn refuses).
 */
async function findWebgpuAdapter(): Promise<WebgpuAdapter> {
  const gpu = await installDawn(await dawnFlags());
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
  if (!forced && process.platform === 'linux' && !hasGpuDeviceNode()) {
    throw new Error(
      'no GPU device node (/dev/dri/renderD*, /dev/nvidia*, /dev/dxg), so no hardware adapter; a software one is used only when forced with TRAINYARD_ENGINE=webgpu',
    );
  }
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

/**
 * Whether Linux shows a GPU a Vulkan driver could use: a DRM render node (Mesa's drivers, AMD, Intel,
 * NVIDIA's open modules), NVIDIA's device files, or WSL's /dev/dxg. Without one Dawn can only offer a
 * software adapter, which is not picked automatically; loading Dawn and the Vulkan loader just to find
 * that out costs the process about 70 MiB of resident memory (Mesa's llvmpipe and LLVM), kept for the
 * whole training run (bench/engine-onednn/memory-profile.mjs).
 */
function hasGpuDeviceNode(): boolean {
  const listed = (folder: string, pattern: RegExp) => {
    try {
      return readdirSync(folder).some((name) => pattern.test(name));
    } catch {
      return false;
    }
  };
  return listed('/dev/dri', /^renderD\d+$/) || listed('/dev', /^nvidia\d+$/) || existsSync('/dev/dxg');
}

/**
 * Dawn's options from the environment: TRAINYARD_WEBGPU_ADAPTER_INDEX picks the adapter at that index
 * in Dawn's list (the worker pins each child to one GPU with it: WORKER_GPUS), TRAINYARD_WEBGPU_ADAPTER
 * one by (part of) its name.
 */
async function dawnFlags(): Promise<string[]> {
  const { webgpuAdapterIndex: index, webgpuAdapter: adapter } = readCnnEnv();
  if (index) return adapterAtIndex(index);
  return adapter ? [`adapter=${adapter}`] : [];
}

/**
 * Dawn's Node binding chooses an adapter only by name (the first whose name contains the `adapter`
 * flag), and lists them only in the error it throws when none matches: the adapter at `index` is
 * named in that order, and refused when an earlier adapter's name would match it too (identical GPUs:
 * Dawn would hand every child the first one).
 */
async function adapterAtIndex(raw: string): Promise<string[]> {
  if (!/^\d+$/.test(raw)) throw new Error(`TRAINYARD_WEBGPU_ADAPTER_INDEX must be a whole number, not '${raw}'`);
  const index = Number(raw);
  const adapters = await listDawnAdapters();
  const chosen = adapters[index];
  const offered = adapters.map((a, i) => `${i}: ${a.name} (${a.backend})`).join('; ') || 'none';
  if (chosen === undefined) throw new Error(`there is no WebGPU adapter ${index}; Dawn offers ${offered}`);
  const first = adapters.findIndex((a) => a.backend === chosen.backend && a.name.includes(chosen.name));
  if (first !== index) {
    throw new Error(
      `WebGPU adapter ${index} (${chosen.name}) cannot be pinned: Dawn picks adapters by name, and adapter ${first} has that name too (${offered})`,
    );
  }
  return [`backend=${chosen.backend}`, `adapter=${chosen.name}`];
}

/** Dawn's adapters in its order, read from the list it prints when asked for one that does not exist. */
async function listDawnAdapters(): Promise<Array<{ backend: string; name: string }>> {
  const { create } = await import('webgpu');
  let message = '';
  try {
    await create(['adapter=trainyard-lists-the-adapters']).requestAdapter();
  } catch (error) {
    message = error instanceof Error ? error.message : String(error);
  }
  return [...message.matchAll(/^\s*\* backend: '([^']*)', name: '(.*)'$/gm)].map(([, backend, name]) => ({
    backend: backend!,
    name: name!,
  }));
}
