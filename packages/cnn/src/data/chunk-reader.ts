/**
 * Pulls exact byte counts out of a stream of chunks, for the fixed-size records of IDX and CIFAR
 * files. Stops reading the source as soon as the caller closes it.
 */
import type { Chunks } from './byte-stream.js';

export class ChunkReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private chunk: Buffer | null = null;
  private offset = 0;
  private done = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(chunks: Chunks) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /** Copies up to `length` bytes into target[start...]; returns how many arrived (fewer at the end). */
  async readInto(target: Uint8Array, start: number, length: number): Promise<number> {
    let copied = 0;
    while (copied < length && (await this.fill())) {
      const chunk = this.chunk as Buffer;
      const take = Math.min(length - copied, chunk.length - this.offset);
      target.set(chunk.subarray(this.offset, this.offset + take), start + copied);
      this.offset += take;
      copied += take;
    }
    this.position += copied;
    return copied;
  }

  /** Discards up to `length` bytes; returns how many there were. */
  async skip(length: number): Promise<number> {
    let skipped = 0;
    while (skipped < length && (await this.fill())) {
      const take = Math.min(length - skipped, (this.chunk as Buffer).length - this.offset);
      this.offset += take;
      skipped += take;
    }
    this.position += skipped;
    return skipped;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Stops the source (a file stream, an inflater) without reading the rest. */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.iterator.return?.();
  }

  private async fill(): Promise<boolean> {
    while (this.chunk === null || this.offset >= this.chunk.length) {
      if (this.done) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        this.chunk = null;
        return false;
      }
      this.chunk = next.value;
      this.offset = 0;
    }
    return true;
  }
}
