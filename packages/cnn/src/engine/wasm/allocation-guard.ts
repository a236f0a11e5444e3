import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { CnnError } from '../../errors.js';

/** The wasm32 address space; the backend's heap can never grow past it. */
const HEAP_LIMIT = 2 ** 32;

const guarded = new WeakSet<object>();

/**
 * Makes a tensor allocation the wasm heap cannot satisfy throw CnnError('out_of_memory'). Unguarded,
 * tfjs-backend-wasm 4.22 takes malloc's null for an address and writes tensors over the start of the
 * heap (VGG-11 with Adam at 32x32 ends in "RuntimeError: memory access out of bounds" a few
 * allocations later), and a request over 4 GiB wraps around to a small allocation.
 * Allocations XNNPACK makes inside the module are beyond reach.
 */
export function guardWasmAllocations(backend: BackendWasm): void {
  const module = backend.wasm as unknown as { _malloc(size: number): number; _free(pointer: number): void };
  if (guarded.has(module)) return;
  // Emscripten's export stub replaces itself with the raw export on its first call, which would
  // also replace a wrapper installed before it: call it once first.
  module._free(module._malloc(8));
  const malloc = module._malloc;
  module._malloc = (size: number): number => {
    const pointer = size < HEAP_LIMIT ? malloc(size) : 0;
    if (pointer === 0 && size > 0) {
      throw new CnnError('out_of_memory', `the wasm engine cannot allocate ${formatBytes(size)}: its heap is capped at 4 GiB`, {
        bytes: size,
        heapBytes: (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length,
      });
    }
    return pointer;
  };
  guarded.add(module);
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${bytes} bytes`;
}
