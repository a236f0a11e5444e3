import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

let installed: GPU | null = null;

/**
 * Dawn's Node binding (the `webgpu` package, a prebuilt dawn.node) installed as `navigator.gpu`, the
 * way tfjs-backend-webgpu looks for WebGPU. Done once per process. `flags` are Dawn's own options,
 * e.g. `adapter=NAME` to pick one adapter among several.
 */
export async function installDawn(flags: string[]): Promise<GPU> {
  if (installed !== null) return installed;
  ensureRuntimeDir();
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create(flags);
  const navigator = (globalThis as { navigator?: object }).navigator;
  // Node 21+ defines a read-only global navigator; Node 20 has none.
  if (navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
  installed = gpu;
  return gpu;
}

/**
 * Vulkan's loader and Mesa print errors at every start when XDG_RUNTIME_DIR is unset (as it is in
 * containers and CI): give them a private folder of their own.
 */
function ensureRuntimeDir(): void {
  if (process.env.XDG_RUNTIME_DIR) return;
  const dir = join(os.tmpdir(), `trainyard-runtime-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}
