/**
 * yauzl's random-access reader over a file descriptor, reading the file in 1 MiB blocks. yauzl makes
 * several tiny reads per entry (directory record, name, local header) and we read each entry's data
 * after them; for an archive of small images that is several system calls per entry, each a trip
 * through libuv's thread pool. Served from a block in memory, they cost one call per megabyte.
 */
import { close, createReadStream, read } from 'node:fs';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

const BLOCK_BYTES = 1 << 20;

/** Blocks kept: the central directory (at the end) and the entries (from the start) are read in turns. */
const BLOCKS_KEPT = 4;

interface Block {
  start: number;
  bytes: Buffer;
}

export class BlockReader extends yauzl.RandomAccessReader {
  /** Most recently used first. */
  private blocks: Block[] = [];
  /** Reads run one after another, so that they never race to replace the block. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    // yauzl's own openReadStream needs this; our walker reads entries through read().
    return createReadStream('', { fd: this.fd, start, end: end - 1, autoClose: false });
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    const run = this.queue.then(() => this.copy(buffer, offset, length, position));
    this.queue = run.catch(() => {});
    run.then(
      (bytesRead) => callback(null, bytesRead),
      (error: Error) => callback(error),
    );
  }

  override close(callback: (err: Error | null) => void): void {
    close(this.fd, callback);
  }

  /** Copies like fs.read: fewer bytes than asked only at the end of the file. */
  private async copy(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    let copied = 0;
    while (copied < length && position + copied < this.size) {
      const at = position + copied;
      let block = this.blocks.find((b) => at >= b.start && at < b.start + b.bytes.length);
      if (!block && length - copied >= BLOCK_BYTES) {
        const got = await readAt(this.fd, buffer, offset + copied, length - copied, at);
        if (got === 0) break;
        copied += got;
        continue;
      }
      if (!block) {
        const bytes = Buffer.allocUnsafe(Math.min(BLOCK_BYTES, this.size - at));
        const got = await readAt(this.fd, bytes, 0, bytes.length, at);
        if (got === 0) break;
        block = { start: at, bytes: bytes.subarray(0, got) };
      }
      this.blocks = [block, ...this.blocks.filter((b) => b !== block)].slice(0, BLOCKS_KEPT);
      const from = at - block.start;
      const n = Math.min(length - copied, block.bytes.length - from);
      block.bytes.copy(buffer, offset + copied, from, from + n);
      copied += n;
    }
    return copied;
  }
}

function readAt(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
  );
}
