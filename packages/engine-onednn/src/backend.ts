/**
 * The 'onednn' tfjs backend: the cpu backend's tensor storage (plain typed arrays, so every cpu kernel
 * runs unchanged on the same data) plus what native kernels need: output arrays recycled through a
 * pool, and per-tensor side data (max pooling's workspace) released with the tensor.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnednnAddon } from './addon.js';
import { BufferPool } from './buffer-pool.js';

type DataId = object;
type BackendValues = tf.backend_util.BackendValues;

/** Bytes of freed arrays kept for reuse, unless TRAINYARD_ONEDNN_POOL_MIB says otherwise. */
const DEFAULT_POOL_MIB = 1024;

interface Owned {
  array: Float32Array;
  /** Storage entries holding this buffer (slices of a tensor are views of its buffer). */
  holders: number;
}

export class OnednnBackend extends tf.MathBackendCPU {
  private readonly pool: BufferPool;
  /** Buffers that came from the pool, so they can go back to it once no tensor holds them. */
  private readonly owned = new WeakMap<ArrayBufferLike, Owned>();
  /** Buffers handed out by readSync/read: the caller may keep them, so they are never recycled. */
  private readonly exposed = new WeakSet<ArrayBufferLike>();
  private readonly sideData = new Map<DataId, unknown>();

  constructor(readonly native: OnednnAddon) {
    super();
    const mib = Number(process.env.TRAINYARD_ONEDNN_POOL_MIB);
    this.pool = new BufferPool((Number.isFinite(mib) && mib >= 0 ? mib : DEFAULT_POOL_MIB) * 1024 * 1024);
  }

  override write(values: BackendValues, shape: number[], dtype: tf.DataType): DataId {
    this.hold(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.hold(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): BackendValues {
    const values = super.readSync(dataId);
    if (ArrayBuffer.isView(values)) this.exposed.add(values.buffer);
    return values;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const { values } = this.data.get(dataId);
    const released = super.disposeData(dataId, force);
    if (released) {
      const side = this.sideData.get(dataId);
      if (side !== undefined) {
        this.sideData.delete(dataId);
        this.recycle(side);
      }
      if (values !== undefined) this.release(values);
    }
    return released;
  }

  override dispose(): void {
    this.pool.clear();
    this.sideData.clear();
    this.native.clearCaches();
    super.dispose();
  }

  /** A float32 array of `length` elements for a kernel's output; its contents are arbitrary. */
  allocate(length: number): Float32Array {
    const array = this.pool.take(length);
    this.owned.set(array.buffer, { array, holders: 0 });
    return array;
  }

  /** A zero-filled output array. */
  allocateZeros(length: number): Float32Array {
    return this.allocate(length).fill(0);
  }

  /** Wraps an array from allocate() as a kernel output. */
  output(values: Float32Array, shape: number[]): tf.TensorInfo {
    return this.makeTensorInfo(shape, 'float32', values);
  }

  /**
   * The stored values of a float32 tensor, without a copy. A float32 tensor cast from int32 or bool
   * shares that tensor's integer array (the cpu backend's Cast does not copy); those are converted.
   */
  floats(tensor: tf.TensorInfo): Float32Array {
    const values = this.data.get(tensor.dataId).values;
    return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  }

  /** Side data kept with a tensor's storage until that storage is freed (max pooling's workspace). */
  attach(tensor: tf.TensorInfo, value: unknown): void {
    this.sideData.set(tensor.dataId, value);
  }

  attached<T>(tensor: tf.TensorInfo): T | undefined {
    return this.sideData.get(tensor.dataId) as T | undefined;
  }

  /**
   * Lets a kernel update a tensor's storage in place: true when this tensor alone holds its storage.
   * Storage handed out to a reader is first swapped for a private copy (copy on write), so what the
   * reader holds never changes under it.
   */
  prepareInPlace(tensor: tf.TensorInfo): boolean {
    if (tensor.dtype !== 'float32' || !this.data.has(tensor.dataId)) return false;
    const entry = this.data.get(tensor.dataId);
    if (entry.refCount !== 1 || !(entry.values instanceof Float32Array)) return false;
    const holder = this.owned.get(entry.values.buffer);
    const shared = holder !== undefined && holder.holders > 1;
    if (this.exposed.has(entry.values.buffer) || shared || holder === undefined) {
      const copy = this.allocate(entry.values.length);
      copy.set(entry.values);
      this.release(entry.values);
      this.hold(copy);
      entry.values = copy;
    }
    return true;
  }

  /** Bytes held for reuse by the pool. */
  get pooledBytes(): number {
    return this.pool.bytes;
  }

  /** Output arrays served from the pool and freshly allocated, since the backend started. */
  get poolCounts(): { hits: number; misses: number } {
    return { hits: this.pool.hits, misses: this.pool.misses };
  }

  /** Frees the recycled arrays and the native caches (primitives, scratch memory). */
  releaseMemory(): void {
    this.pool.clear();
    this.native.clearCaches();
  }

  /** Returns side data allocated from the pool (and never stored as a tensor) to the pool. */
  private recycle(value: unknown): void {
    if (!ArrayBuffer.isView(value)) return;
    const holder = this.owned.get(value.buffer);
    if (holder === undefined || holder.holders !== 0) return;
    this.owned.delete(value.buffer);
    this.pool.put(holder.array);
  }

  private hold(values: BackendValues | undefined): void {
    if (!ArrayBuffer.isView(values)) return;
    const holder = this.owned.get(values.buffer);
    if (holder !== undefined) holder.holders += 1;
  }

  private release(values: BackendValues): void {
    if (!ArrayBuffer.isView(values)) return;
    const holder = this.owned.get(values.buffer);
    if (holder === undefined) return;
    holder.holders -= 1;
    if (holder.holders > 0) return;
    this.owned.delete(values.buffer);
    if (!this.exposed.has(values.buffer)) this.pool.put(holder.array);
  }
}
