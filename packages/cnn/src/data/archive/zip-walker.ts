/**
 * Walks a zip file's entries with yauzl (random access: only the entries a visitor reads are
 * inflated). Names are decoded and checked here rather than by yauzl, so that an unsafe name fails
 * with dataset_unsafe_path naming the entry instead of a generic error for the whole file; sizes
 * are checked here too (entryChunks), for the same reason.
 */
import { close, fstat, open } from 'node:fs';
import { promisify } from 'node:util';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { inflate, type Chunks } from '../byte-stream.js';
import { malformed, unsafePath, unsupported, type Where } from '../dataset-errors.js';
import type { ArchiveLimits } from '../options.js';
import type { EntryVisitor } from './archive-entry.js';
import { BlockReader } from './block-reader.js';
import { ArchiveBudget } from './budget.js';
import { checkEntryPath } from './entry-path.js';

const UTF8_FLAG = 0x800;
const INFO_ZIP_UNICODE_PATH = 0x7075;
const STORED = 0;
const DEFLATED = 8;
const FILE_TYPE_MASK = 0o170000;
const REGULAR_FILE = 0o100000;
const DIRECTORY = 0o040000;
const SYMLINK = 0o120000;

export async function walkZip(path: string, file: string, limits: ArchiveLimits, visit: EntryVisitor): Promise<void> {
  const zip = await openZip(path, file);
  // yauzl may emit 'error' at any moment; without a listener that would crash the process.
  let zipError: Error | null = null;
  zip.on('error', (error: Error) => {
    zipError = error;
  });
  const budget = new ArchiveBudget(file, limits);
  try {
    budget.checkEntryCount(zip.entryCount);
    for (;;) {
      const entry = await nextEntry(zip, file, () => zipError);
      if (entry === null) break;
      const name = entryName(entry);
      budget.countEntry(name);
      const entryPath = checkEntryPath(file, name);
      const where: Where = { file, entry: name };
      const isDirectory = /[\\/]$/.test(name);
      checkEntryType(entry, where);
      if (isDirectory) continue;
      if (entry.isEncrypted()) throw unsupported(where, 'is encrypted; upload an archive without a password');
      if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
        throw unsupported(where, `uses zip compression method ${entry.compressionMethod}; only stored and deflated entries are supported`);
      }
      budget.checkDeclaredSize(name, entry.uncompressedSize);
      await visit({ path: entryPath, declaredSize: entry.uncompressedSize, chunks: () => entryChunks(zip, entry, where, budget) });
    }
  } finally {
    zip.close();
  }
}

async function openZip(path: string, file: string): Promise<yauzl.ZipFile> {
  // A plain descriptor, not a FileHandle: a FileHandle closes its descriptor when it is collected.
  const fd = await promisify(open)(path, 'r');
  const { size } = await promisify(fstat)(fd);
  const reader = new BlockReader(fd, size);
  reader.on('error', () => {}); // a failed close; nothing to do about it
  return new Promise((resolve, reject) => {
    const options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false };
    yauzl.fromRandomAccessReader(reader, size, options, (error, zip) => {
      if (error || !zip) {
        close(fd, () => {});
        reject(malformed({ file }, `is not a readable zip archive (${error?.message ?? 'unknown error'})`));
      } else {
        resolve(zip);
      }
    });
  });
}

function nextEntry(zip: yauzl.ZipFile, file: string, pendingError: () => Error | null): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const already = pendingError();
    if (already) return reject(malformed({ file }, `is not a readable zip archive (${already.message})`));
    const done = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => {
      done();
      resolve(entry);
    };
    const onEnd = () => {
      done();
      resolve(null);
    };
    const onError = (error: Error) => {
      done();
      reject(malformed({ file }, `is not a readable zip archive (${error.message})`));
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/**
 * UTF-8 when the entry says so (flag bit 11 or Info-ZIP's Unicode path field); otherwise UTF-8 when
 * the bytes are valid UTF-8 (macOS and many tools write it without the flag), else Latin-1. The
 * characters that matter for safety ("/", "\", ".") are the same in every one of these.
 */
function entryName(entry: yauzl.Entry): string {
  const raw = entry.fileNameRaw;
  if (entry.generalPurposeBitFlag & UTF8_FLAG) return raw.toString('utf8');
  for (const field of entry.extraFields) {
    if (field.id === INFO_ZIP_UNICODE_PATH && field.data.length >= 6 && field.data[0] === 1 && field.data.readUInt32LE(1) === crc32(raw)) {
      return field.data.subarray(5).toString('utf8');
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return raw.toString('latin1');
  }
}

/** Unix file types live in the high 16 bits of the external attributes; anything but a file or folder is refused. */
function checkEntryType(entry: yauzl.Entry, where: Where): void {
  const type = (entry.externalFileAttributes >>> 16) & FILE_TYPE_MASK;
  if (type === 0 || type === REGULAR_FILE || type === DIRECTORY) return;
  if (type === SYMLINK) throw unsafePath(where, 'is a symbolic link; archives may contain only regular files and folders');
  throw unsafePath(where, 'is not a regular file (a device, pipe or socket); archives may contain only regular files and folders');
}

/**
 * The entry's bytes, read through the zip's block reader and inflated by zlib: yauzl's own
 * read stream for stored entries never ends on Node 20 (its fd-slicer sets `destroyed` before
 * pushing the end), and a truncated deflate stream fed by it would wait forever. Sizes are checked
 * against the header as the bytes arrive.
 */
async function* entryChunks(zip: yauzl.ZipFile, entry: yauzl.Entry, where: Where, budget: ArchiveBudget): Chunks {
  const fileDataStart = await new Promise<number>((resolve, reject) => {
    zip.readLocalFileHeader(entry, { minimal: true }, (error, header) => {
      if (error || !header) reject(malformed(where, `has a corrupt local header (${error?.message ?? 'unknown error'})`));
      else resolve(header.fileDataStart);
    });
  });
  const raw = readRange(zip, fileDataStart, entry.compressedSize, where);
  let chunks: Chunks;
  if (entry.compressionMethod !== DEFLATED) chunks = raw;
  else if (entry.uncompressedSize <= SMALL_ENTRY_BYTES) chunks = inflateSmall(raw, entry, where);
  else chunks = inflate(raw, where, 'deflate');
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.length;
    budget.checkEntryBytes(where.entry as string, bytes);
    budget.addTotal(chunk.length, where.entry);
    if (bytes > entry.uncompressedSize) {
      throw malformed(where, `inflates to more than the ${entry.uncompressedSize} bytes its header declares`);
    }
    yield chunk;
  }
  if (bytes !== entry.uncompressedSize) {
    throw malformed(where, `is truncated: ${bytes} bytes instead of the ${entry.uncompressedSize} its header declares`);
  }
}

const READ_CHUNK = 1 << 20;

/**
 * Entries up to this size (by their header) are inflated in one synchronous call: zlib's streaming
 * inflate goes through the thread pool for every chunk, which made a zip of small images read 2-3x
 * slower than the same images in a tar.gz.
 */
const SMALL_ENTRY_BYTES = 8 << 20;

/** Inflates at most one byte more than the header declares, so a lying header is caught at once. */
async function* inflateSmall(raw: Chunks, entry: yauzl.Entry, where: Where): Chunks {
  const parts: Buffer[] = [];
  for await (const chunk of raw) parts.push(chunk);
  try {
    yield inflateRawSync(Buffer.concat(parts), { maxOutputLength: entry.uncompressedSize + 1 });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw malformed(where, `inflates to more than the ${entry.uncompressedSize} bytes its header declares`);
    }
    throw malformed(where, `its deflate data is corrupt or truncated (${(error as Error).message})`);
  }
}

/** `length` bytes from `start`, in chunks of up to 1 MB, through the zip's reader. */
async function* readRange(zip: yauzl.ZipFile, start: number, length: number, where: Where): Chunks {
  const reader = (zip as unknown as { reader: BlockReader }).reader;
  for (let offset = 0; offset < length;) {
    const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, length - offset));
    const got = await new Promise<number>((resolve, reject) => {
      reader.read(buffer, 0, buffer.length, start + offset, (error, bytesRead) => {
        if (error) reject(malformed(where, `cannot be read (${error.message})`));
        else resolve(bytesRead ?? 0);
      });
    });
    if (got === 0) return; // the archive ends inside the entry: reported as truncated by the caller
    offset += got;
    yield buffer.subarray(0, got);
  }
}
