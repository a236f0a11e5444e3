import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { cpuDevice } from './cpu-device.js';
import type { EngineDevice, EngineName } from './engine-info.js';
import { loadWebgpu } from './webgpu/load-webgpu.js';
import { guardWasmAllocations } from './wasm/allocation-guard.js';
import { registerWasmTrainingKernels } from './wasm/register-training-kernels.js';

/** What a loaded engine reports about itself. */
export interface LoadedEngine {
  backend: string;
  version: string;
  threads: number;
  device: EngineDevice;
}

export interface EngineCandidate {
  name: EngineName;
  /** Never picked automatically: only when forced by name (the stock cpu backend is too slow to train). */
  forcedOnly: boolean;
  /**
   * Makes the engine tfjs's active backend, or throws an Error whose message says why it cannot.
   * `forced`: chosen by name rather than picked automatically.
   */
  load(forced: boolean): Promise<LoadedEngine>;
}

/**
 * The engines in order of preference: libtensorflow on CUDA, WebGPU on a real GPU adapter (Dawn,
 * over Vulkan), libtensorflow on the CPU, the native oneDNN engine (@trainyard/engine-onednn, when
 * its addon built at install), then wasm.
 */
export const ENGINE_CANDIDATES: readonly EngineCandidate[] = [
  { name: 'tensorflow-gpu', forcedOnly: false, load: () => loadTfjsNode('@tensorflow/tfjs-node-gpu') },
  { name: 'webgpu', forcedOnly: false, load: loadWebgpu },
  { name: 'tensorflow', forcedOnly: false, load: () => loadTfjsNode('@tensorflow/tfjs-node') },
  { name: 'onednn', forcedOnly: false, load: loadOnednn },
  { name: 'wasm', forcedOnly: false, load: loadWasm },
  { name: 'cpu', forcedOnly: true, load: loadCpu },
];

/**
 * tfjs-node and tfjs-node-gpu are optional: they are not dependencies (their install downloads
 * libtensorflow), so they are imported by a name TypeScript cannot resolve at build time.
 */
async function loadTfjsNode(packageName: string): Promise<LoadedEngine> {
  const gpu = packageName === '@tensorflow/tfjs-node-gpu';
  // TensorFlow otherwise reserves nearly all GPU memory at start, starving every other process there.
  if (gpu) process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
  let binding: { version?: Record<string, string> };
  try {
    binding = (await import(packageName)) as typeof binding;
  } catch (error) {
    throw new Error(`cannot import ${packageName}: ${firstLine(error)}`);
  }
  // The package registers its backend with the @tensorflow/tfjs-core it resolves; if that is another
  // copy than ours, our models would never see it.
  if (tf.findBackendFactory('tensorflow') === null) {
    throw new Error(`${packageName} loaded but registered no 'tensorflow' backend with this package's tfjs-core`);
  }
  await setBackendOrThrow('tensorflow');
  // Without a visible CUDA device libtensorflow silently computes on the CPU: refuse, rather than
  // train on the CPU under the name tensorflow-gpu.
  if (gpu && (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice !== true) {
    throw new Error(
      `${packageName} loaded but libtensorflow sees no CUDA device (check the NVIDIA driver, CUDA 11.2, cuDNN 8 and CUDA_VISIBLE_DEVICES)`,
    );
  }
  const intraOpThreads = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return {
    backend: 'tensorflow',
    version: binding.version?.['tfjs-node'] ?? tf.version_core,
    threads: Number.isInteger(intraOpThreads) && intraOpThreads > 0 ? intraOpThreads : os.availableParallelism(),
    device: gpu ? { kind: 'gpu', name: cudaDeviceName() } : cpuDevice(),
  };
}

/** The first visible CUDA device's name, as nvidia-smi reports it (libtensorflow does not tell). */
function cudaDeviceName(): string {
  const visible = process.env.CUDA_VISIBLE_DEVICES?.split(',')[0]?.trim() || '0';
  try {
    const name = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader', '-i', visible], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    return `${name.trim()} (CUDA device ${visible})`;
  } catch {
    return `CUDA device ${visible}`;
  }
}

/**
 * The oneDNN engine is a workspace package that depends on this one's models only in its tests, so it
 * is imported by a name TypeScript does not resolve here. It throws with the reason (e.g. "oneDNN not
 * found (install libdnnl-dev)") when its native addon was not built.
 */
async function loadOnednn(): Promise<LoadedEngine> {
  const packageName = '@trainyard/engine-onednn';
  let engine: { activateOnednnBackend(): Promise<Omit<LoadedEngine, 'device'>> };
  try {
    engine = (await import(packageName)) as typeof engine;
  } catch (error) {
    throw new Error(`cannot import ${packageName}: ${firstLine(error)}`);
  }
  const info = await engine.activateOnednnBackend();
  skipNodeBanner();
  return { ...info, device: cpuDevice() };
}

async function loadWasm(): Promise<LoadedEngine> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  await setBackendOrThrow('wasm');
  guardWasmAllocations(tf.backend() as InstanceType<typeof wasm.BackendWasm>);
  return { backend: 'wasm', version: wasm.version_wasm, threads: wasm.getThreadsCount(), device: cpuDevice() };
}

async function loadCpu(): Promise<LoadedEngine> {
  await setBackendOrThrow('cpu');
  return { backend: 'cpu', version: tf.version_core, threads: 1, device: cpuDevice() };
}

async function setBackendOrThrow(backend: string): Promise<void> {
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`tfjs backend '${backend}' failed to initialise`);
  skipNodeBanner();
}

/**
 * tfjs's cpu backend (and onednn's, built on it) prints "Hi, looks like you are running TensorFlow.js
 * in Node.js ... install our node backend" on its first tensor when it runs in Node. We chose this
 * engine on purpose, so the advice is noise in every job's log: the backend is told its first use is
 * behind it (MathBackendCPU.firstUse, checked by tfjs-internals.ts), before anything is written to it.
 */
function skipNodeBanner(): void {
  const backend = tf.backend();
  if (backend instanceof tf.MathBackendCPU) (backend as unknown as { firstUse: boolean }).firstUse = false;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
