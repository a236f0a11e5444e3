/**
 * Walks a tar or tar.gz file with tar-stream, streaming from disk through zlib: a 2 GB archive is
 * never held in memory. Every byte of the (inflated) tar stream is counted against maxTotalBytes.
 */
import { Transform, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { isCnnError } from '../../errors.js';
import { fileChunks, type Chunks } from '../byte-stream.js';
import { malformed, unsafePath, type Where } from '../dataset-errors.js';
import type { ArchiveLimits } from '../options.js';
import type { EntryVisitor } from './archive-entry.js';
import { ArchiveBudget } from './budget.js';
import { checkEntryPath } from './entry-path.js';

/**
 * tar-stream holds a pax or GNU long-name header in memory until it is complete, so a forged header
 * of gigabytes would fill memory. Between two entries (or two chunks of entry data) only headers and
 * padding pass, a few kilobytes; more than this without progress means such a header, or garbage.
 */
const MAX_BYTES_WITHOUT_PROGRESS = 16 * 1024 * 1024;

export async function walkTar(path: string, file: string, gzipped: boolean, limits: ArchiveLimits, visit: EntryVisitor): Promise<void> {
  const budget = new ArchiveBudget(file, limits);
  let sinceProgress = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        budget.addTotal(chunk.length);
        sinceProgress += chunk.length;
        if (sinceProgress > MAX_BYTES_WITHOUT_PROGRESS) {
          throw malformed(
            { file },
            `has more than ${MAX_BYTES_WITHOUT_PROGRESS} bytes without a tar entry (an oversized or corrupt header)`,
          );
        }
        callback(null, chunk);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  const extract = tar.extract();
  // Errors reach us through the iteration below; a listener keeps a late one (after the loop has
  // ended) from being thrown as an unhandled 'error' event.
  extract.on('error', () => {});
  const source = fileChunks(path) as Readable;
  const stages = gzipped ? [source, createGunzip(), meter] : [source, meter];
  // tar-stream's extractor is a streamx stream, which node's pipeline() does not take: pipe into it
  // and hand it any upstream error, which then surfaces through the iteration below.
  pipeline(stages, (error) => {
    if (error) extract.destroy(error);
  });
  meter.pipe(extract as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extract) {
      sinceProgress = 0;
      const header = entry.header;
      budget.countEntry(header.name);
      const entryPath = checkEntryPath(file, header.name);
      const where: Where = { file, entry: header.name };
      // One iterator per entry, shared by the visitor and the drain below: ending a for-await loop
      // early would destroy the entry stream and with it the whole extraction.
      const data = entry[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      if (header.type === 'file' || header.type === 'contiguous-file') {
        const declaredSize = header.size ?? 0;
        budget.checkDeclaredSize(header.name, declaredSize);
        let bytes = 0;
        const chunks = async function* (): Chunks {
          for (let next = await data.next(); !next.done; next = await data.next()) {
            sinceProgress = 0;
            bytes += next.value.length;
            budget.checkEntryBytes(header.name, bytes);
            yield next.value;
          }
        };
        await visit({ path: entryPath, declaredSize, chunks });
      } else if (header.type !== 'directory') {
        throw unsafePath(where, describeNonRegular(header.type, header.linkname));
      }
      for (let next = await data.next(); !next.done; next = await data.next()) sinceProgress = 0;
    }
  } catch (error) {
    throw asDatasetError(error, file, gzipped);
  } finally {
    extract.destroy();
    source.destroy();
  }
}

function describeNonRegular(type: string | null | undefined, linkname: string | null | undefined): string {
  const rule = 'archives may contain only regular files and folders';
  switch (type) {
    case 'symlink':
      return `is a symbolic link (to "${linkname}"); ${rule}`;
    case 'link':
      return `is a hard link (to "${linkname}"); ${rule}`;
    default:
      return `is not a regular file (tar type ${type ?? 'unknown'}); ${rule}`;
  }
}

function asDatasetError(error: unknown, file: string, gzipped: boolean): Error {
  if (isCnnError(error)) return error;
  const message = (error as Error)?.message ?? String(error);
  const code = (error as { code?: string })?.code ?? '';
  if (gzipped && code.startsWith('Z_')) return malformed({ file }, `its gzip data is corrupt or truncated (${message})`);
  return malformed({ file }, `is not a readable tar archive (${message})`);
}
