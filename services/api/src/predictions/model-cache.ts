/**
 * The inference process's loaded models: least recently used first out, bounded by bytes. Room is made
 * before a model loads (its size is known from its weight files), so the limit holds at every moment.
 */
import { ApiError } from '@trainyard/contracts';

interface Entry<T> {
  value: T;
  bytes: number;
}

export class ModelCache<T> {
  /** Map order is use order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry<T>>();
  private used = 0;

  constructor(
    private readonly limitBytes: number,
    private readonly unload: (value: T) => void,
  ) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Unloads least recently used models until `bytes` more fit; returns their keys. */
  makeRoom(bytes: number): string[] {
    if (bytes > this.limitBytes) {
      throw new ApiError('predict_model_too_large', `The model needs ${bytes} bytes; PREDICT_CACHE_MEMORY is ${this.limitBytes}.`, {
        limit: this.limitBytes,
        variable: 'PREDICT_CACHE_MEMORY',
        needs: bytes,
      });
    }
    const evicted: string[] = [];
    for (const [key, entry] of this.entries) {
      if (this.used + bytes <= this.limitBytes) break;
      this.entries.delete(key);
      this.used -= entry.bytes;
      this.unload(entry.value);
      evicted.push(key);
    }
    return evicted;
  }

  /** Call after makeRoom(bytes). */
  add(key: string, value: T, bytes: number): void {
    this.entries.set(key, { value, bytes });
    this.used += bytes;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  get usedBytes(): number {
    return this.used;
  }
}
