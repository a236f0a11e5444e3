/** What this worker trains on, and therefore which jobs it can serve (its accelerator class). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DeviceView, WorkerAccelerator } from '@trainyard/contracts';

const PROBE_MAIN = fileURLToPath(new URL('./engine-probe.js', import.meta.url));

export interface WorkerEngine {
  engine: string;
  device: DeviceView;
  accelerator: WorkerAccelerator;
  /** 'detected' from the engine's device, or 'WORKER_ACCELERATOR' when that overrides it. */
  acceleratorSource: 'detected' | 'WORKER_ACCELERATOR';
}

/**
 * Loads the engine in a short-lived process and reads its device: a real GPU (a WebGPU adapter that is
 * not a software one, or tfjs-node-gpu's CUDA device) makes this a gpu worker, anything else cpu.
 * `declared` (WORKER_ACCELERATOR) overrides the detection. Throws with the engine's reason when no
 * engine loads (e.g. TRAINYARD_ENGINE=tensorflow-gpu on a machine whose CUDA device is not visible):
 * a worker must not train on something else under that name.
 */
export async function detectWorkerEngine(declared: 'auto' | WorkerAccelerator): Promise<WorkerEngine> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [PROBE_MAIN], { timeout: 180_000, maxBuffer: 1 << 20 }));
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    const reason = parseLast(output)?.error ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`the training engine does not load on this worker: ${reason}`);
  }
  const probe = parseLast(stdout) as { engine: string; device: DeviceView };
  const detected: WorkerAccelerator = probe.device.kind === 'gpu' ? 'gpu' : 'cpu';
  return {
    engine: probe.engine,
    device: probe.device,
    accelerator: declared === 'auto' ? detected : declared,
    acceleratorSource: declared === 'auto' ? 'detected' : 'WORKER_ACCELERATOR',
  };
}

function parseLast(output: string): Record<string, unknown> | null {
  const line = output.trim().split('\n').at(-1);
  try {
    return line ? (JSON.parse(line) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
