/**
 * Recognises what a file is from its first bytes (after inflating gzip), never from its name alone:
 * uploads arrive under whatever name the client chose.
 */
import { open } from 'node:fs/promises';
import type { ArchiveKind } from './archive/archive-entry.js';
import { fileChunks, gunzipIfGzip, isGzip, readHead } from './byte-stream.js';
import type { Where } from './dataset-errors.js';
import { imageTypeOf } from './image/image-header.js';

/** Enough for a tar header (512 bytes) and every magic number we look at. */
export const HEAD_BYTES = 512;

export interface Sniffed {
  /** The first bytes, inflated when the file is gzip. */
  head: Buffer;
  gzipped: boolean;
}

export async function sniffFile(path: string, where: Where): Promise<Sniffed> {
  const handle = await open(path, 'r');
  let raw: Buffer;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    raw = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (!isGzip(raw)) return { head: raw, gzipped: false };
  return { head: await readHead(gunzipIfGzip(fileChunks(path), where), HEAD_BYTES), gzipped: true };
}

/** The archive format, or null. A gzipped tar is 'tar.gz'; a gzipped zip is not a thing. */
export function archiveKindOf(sniffed: Sniffed): ArchiveKind | null {
  const { head, gzipped } = sniffed;
  if (!gzipped && head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && [0x0304, 0x0506, 0x0708].includes((head[2] << 8) | head[3])) {
    return 'zip';
  }
  if (isTarHeader(head)) return gzipped ? 'tar.gz' : 'tar';
  return null;
}

export function isLoneImage(sniffed: Sniffed): boolean {
  return imageTypeOf(sniffed.head) !== null;
}

/** "ustar" at offset 257 (POSIX), or an old-style header whose checksum adds up. */
function isTarHeader(head: Uint8Array): boolean {
  if (head.length < 512) return false;
  if (String.fromCharCode(...head.subarray(257, 262)) === 'ustar') return true;
  const stored = parseInt(
    String.fromCharCode(...head.subarray(148, 156))
      .replace(/\0.*$/, '')
      .trim(),
    8,
  );
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : head[i];
  return sum === stored && head[0] !== 0;
}
