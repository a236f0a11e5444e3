/** What this worker trains on, and therefore which jobs it can serve (its accelerator class). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DeviceView, WorkerAccelerator } from '@trainyard/contracts';

const PROBE_MAIN = fileURLToPath(new URL('./engine-probe.js', import.meta.url));

/** One GPU of WORKER_GPUS: the environment that pins a training child to it, and what it is. */
export interface GpuPin {
  gpu: number;
  env: Record<string, string>;
  device: DeviceView;
}

export interface WorkerEngine {
  engine: string;
  device: DeviceView;
  accelerator: WorkerAccelerator;
  /** 'detected' from the engine's device, or 'WORKER_ACCELERATOR' when that overrides it. */
  acceleratorSource: 'detected' | 'WORKER_ACCELERATOR';
  /** WORKER_GPUS, each checked: empty when the children are not pinned. */
  pins: GpuPin[];
}

/** Raised when the worker must not start: its message is all the operator needs. */
export class WorkerEngineError extends Error {
  override name = 'WorkerEngineError';
}

/**
 * Loads the engine in a short-lived process and reads its device: a real GPU (a WebGPU adapter that is
 * not a software one, or tfjs-node-gpu's CUDA device) makes this a gpu worker, anything else cpu.
 * `declared` (WORKER_ACCELERATOR) overrides the detection. Throws with the engine's reason when no
 * engine loads (e.g. TRAINYARD_ENGINE=tensorflow-gpu on a machine whose CUDA device is not visible):
 * a worker must not train on something else under that name.
 *
 * With `gpus` (WORKER_GPUS) the engine is then loaded once more per GPU, pinned to it and forced to be
 * the same engine: a GPU the engine does not see stops the start, rather than a child that would
 * quietly train on another engine.
 */
export async function detectWorkerEngine(declared: 'auto' | WorkerAccelerator, gpus: readonly number[] = []): Promise<WorkerEngine> {
  const probe = await runProbe({});
  const detected: WorkerAccelerator = probe.device.kind === 'gpu' ? 'gpu' : 'cpu';
  const pins: GpuPin[] = [];
  if (gpus.length > 0 && !PINNABLE_ENGINES.includes(probe.engine)) {
    throw new WorkerEngineError(
      `WORKER_GPUS=${gpus.join(',')} pins one training child to each GPU, but the engine here is ${probe.engine} (${probe.device.name}), ` +
        `which has no GPU to pin (${probe.skipped.map((s) => `${s.engine}: ${s.reason}`).join('; ')})`,
    );
  }
  for (const gpu of gpus) {
    const env = pinEnv(probe.engine, gpu);
    const pinned = await runProbe(env).catch((error: Error) => {
      throw new WorkerEngineError(`GPU ${gpu} of WORKER_GPUS: ${error.message}`);
    });
    pins.push({ gpu, env, device: pinned.device });
  }
  return {
    engine: probe.engine,
    device: pins.length > 0 ? { kind: pins[0]!.device.kind, name: pins.map((pin) => pin.device.name).join(', ') } : probe.device,
    accelerator: declared === 'auto' ? detected : declared,
    acceleratorSource: declared === 'auto' ? 'detected' : 'WORKER_ACCELERATOR',
    pins,
  };
}

const PINNABLE_ENGINES = ['tensorflow-gpu', 'webgpu'];

/**
 * The environment of a child pinned to `gpu`: CUDA_VISIBLE_DEVICES for libtensorflow, the Dawn adapter
 * of that index for webgpu; and the engine forced, so that a child never falls back to another one.
 */
function pinEnv(engine: string, gpu: number): Record<string, string> {
  const pin: Record<string, string> =
    engine === 'tensorflow-gpu' ? { CUDA_VISIBLE_DEVICES: String(gpu) } : { TRAINYARD_WEBGPU_ADAPTER_INDEX: String(gpu) };
  return { ...pin, TRAINYARD_ENGINE: engine };
}

interface Probe {
  engine: string;
  device: DeviceView;
  /** The faster engines that did not load, and why. */
  skipped: Array<{ engine: string; reason: string }>;
}

async function runProbe(env: Record<string, string>): Promise<Probe> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [PROBE_MAIN], {
      env: { ...process.env, ...env },
      timeout: 180_000,
      maxBuffer: 1 << 20,
    }));
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    const reason = parseLast(output)?.error ?? (error instanceof Error ? error.message : String(error));
    throw new WorkerEngineError(`the training engine does not load on this worker: ${String(reason)}`);
  }
  return parseLast(stdout) as unknown as Probe;
}

function parseLast(output: string): Record<string, unknown> | null {
  const line = output.trim().split('\n').at(-1);
  try {
    return line ? (JSON.parse(line) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
