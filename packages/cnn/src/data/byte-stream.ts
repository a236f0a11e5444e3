/**
 * Bytes arrive as async iterables of Buffers, from a file on disk or an archive entry, so that a
 * large file is never read into one Buffer. A gzip member is recognised by its magic bytes and
 * inflated on the fly, whatever the file is called.
 */
import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGunzip, createInflateRaw } from 'node:zlib';
import { isCnnError } from '../errors.js';
import { malformed, type Where } from './dataset-errors.js';

export type Chunks = AsyncIterable<Buffer>;

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function fileChunks(path: string, options: { start?: number; end?: number } = {}): Chunks {
  return createReadStream(path, { ...options, highWaterMark: 1 << 20 });
}

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/** The same bytes, inflated when they start with gzip's magic; `onDetect` learns which it was. */
export async function* gunzipIfGzip(chunks: Chunks, where: Where, onDetect?: (gzipped: boolean) => void): AsyncGenerator<Buffer> {
  const iterator = chunks[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let finished = false;
  try {
    while (headLength < 2) {
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        break;
      }
      head.push(next.value);
      headLength += next.value.length;
    }
    const rest = replay(head, iterator, finished);
    const gzipped = isGzip(Buffer.concat(head));
    onDetect?.(gzipped);
    if (!gzipped) {
      yield* rest;
      return;
    }
    yield* inflate(rest, where, 'gzip');
  } finally {
    if (!finished) await iterator.return?.();
  }
}

async function* replay(head: Buffer[], iterator: AsyncIterator<Buffer>, finished: boolean): AsyncGenerator<Buffer> {
  yield* head;
  if (finished) return;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}

/** Inflates gzip (a .gz file) or raw deflate (a zip entry), streaming. */
export async function* inflate(compressed: AsyncIterable<Buffer>, where: Where, format: 'gzip' | 'deflate'): AsyncGenerator<Buffer> {
  // A .gz file is one long stream: big output chunks. Zip entries are many small streams: zlib's
  // default 16 KB, or allocating 1 MB per entry makes reading thousands of small images 3x slower.
  const inflater = format === 'gzip' ? createGunzip({ chunkSize: 1 << 20 }) : createInflateRaw();
  pipeline(Readable.from(compressed), inflater, () => {
    // errors surface through the iteration below
  });
  try {
    for await (const chunk of inflater) yield chunk as Buffer;
  } catch (error) {
    if (isCnnError(error)) throw error;
    throw malformed(where, `its ${format} data is corrupt or truncated (${(error as Error).message})`);
  } finally {
    inflater.destroy();
  }
}

/** Reads up to `n` bytes from the start (fewer when the stream is shorter), then stops reading. */
export async function readHead(chunks: Chunks, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
    if (length >= n) break;
  }
  return Buffer.concat(parts).subarray(0, n);
}

/** Reads a whole stream, failing with `tooLarge()` as soon as it passes `cap` bytes. */
export async function readAll(chunks: Chunks, cap: number, tooLarge: () => Error): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.length;
    if (length > cap) throw tooLarge();
    parts.push(chunk);
  }
  return Buffer.concat(parts, length);
}
