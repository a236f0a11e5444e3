/**
 * Reads the entries of a zip archive held in memory, as torch.save (torch >= 1.6) writes it: stored
 * entries, a zip64 end record, the data of each entry aligned in the file. Synchronous and over one
 * buffer, unlike the datasets' streaming reader (data/archive), because a weights file is read whole.
 * Every offset and size from a header is checked against the buffer (and each stored entry's CRC) before
 * it is used, so a truncated or lying archive is weights_malformed, never an out-of-range read.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { malformed } from './weights-errors.js';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const STORED = 0;
const DEFLATED = 8;
const ENCRYPTED_FLAG = 0x1;
const MAX_COMMENT = 0xffff;

class Bounded {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw malformed(`the zip's ${what} (${length} bytes at ${offset}) lies outside the file of ${this.bytes.length} bytes`);
    }
  }

  u16(offset: number): number {
    this.check(offset, 2, 'header');
    return this.view.getUint16(offset, true);
  }

  u32(offset: number): number {
    this.check(offset, 4, 'header');
    return this.view.getUint32(offset, true);
  }

  u64(offset: number): number {
    this.check(offset, 8, 'header');
    const value = this.view.getBigUint64(offset, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('the zip declares a size or offset beyond 2^53');
    return Number(value);
  }
}

interface Directory {
  entries: number;
  offset: number;
  size: number;
}

function findDirectory(zip: Bounded): Directory {
  const bytes = zip.bytes;
  const lowest = Math.max(0, bytes.length - 22 - MAX_COMMENT);
  let end = -1;
  for (let at = bytes.length - 22; at >= lowest; at--) {
    if (bytes[at] === 0x50 && bytes[at + 1] === 0x4b && zip.u32(at) === END_OF_CENTRAL_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw malformed('no zip end-of-central-directory record (the file is truncated or not a zip)');
  let directory: Directory = { entries: zip.u16(end + 10), size: zip.u32(end + 12), offset: zip.u32(end + 16) };
  if (directory.entries === 0xffff || directory.size === 0xffffffff || directory.offset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || zip.u32(locator) !== ZIP64_LOCATOR) throw malformed('a zip64 archive without its zip64 locator');
    const record = zip.u64(locator + 8);
    if (zip.u32(record) !== ZIP64_END) throw malformed('the zip64 locator points at no zip64 end record');
    directory = { entries: zip.u64(record + 32), size: zip.u64(record + 40), offset: zip.u64(record + 48) };
  }
  zip.check(directory.offset, directory.size, 'central directory');
  if (directory.offset + directory.size > end) throw malformed('the zip central directory overlaps its end record');
  // Each central entry takes at least 46 bytes: a count beyond that is a lie, whatever it allocates.
  if (directory.entries > directory.size / 46)
    throw malformed(`the zip declares ${directory.entries} entries in a ${directory.size}-byte directory`);
  return directory;
}

/** Zip64 extra field values, for the 32-bit fields that are 0xffffffff. */
function zip64Values(zip: Bounded, extraStart: number, extraLength: number, wanted: number): number[] {
  let at = extraStart;
  while (at + 4 <= extraStart + extraLength) {
    const id = zip.u16(at);
    const length = zip.u16(at + 2);
    if (id === ZIP64_EXTRA) {
      if (length < wanted * 8) throw malformed('a zip64 extra field is too short');
      return Array.from({ length: wanted }, (_, i) => zip.u64(at + 4 + 8 * i));
    }
    at += 4 + length;
  }
  throw malformed('a zip entry needs a zip64 extra field and has none');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Entry name to its (uncompressed) bytes; stored entries are views into `bytes`. */
export function readZip(bytes: Uint8Array): Map<string, Uint8Array> {
  const zip = new Bounded(bytes);
  const directory = findDirectory(zip);
  const entries = new Map<string, Uint8Array>();
  // torch stores its entries uncompressed; a deflated entry may grow by a bounded factor, no more (zip bombs).
  let inflateBudget = 4 * bytes.length + (1 << 20);
  let at = directory.offset;
  for (let i = 0; i < directory.entries; i++) {
    if (at + 46 > directory.offset + directory.size || zip.u32(at) !== CENTRAL_HEADER) {
      throw malformed(`zip central directory entry ${i} is not where the directory says`);
    }
    const flags = zip.u16(at + 8);
    const method = zip.u16(at + 10);
    const crc = zip.u32(at + 16);
    let compressed = zip.u32(at + 20);
    let size = zip.u32(at + 24);
    const nameLength = zip.u16(at + 28);
    const extraLength = zip.u16(at + 30);
    const commentLength = zip.u16(at + 32);
    let localOffset = zip.u32(at + 42);
    zip.check(at + 46, nameLength + extraLength + commentLength, 'central directory entry');
    let name: string;
    try {
      name = utf8.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    } catch {
      throw malformed(`zip entry ${i} has a name that is not UTF-8`);
    }
    const wide = [size, compressed, localOffset].filter((v) => v === 0xffffffff).length;
    if (wide > 0) {
      const values = zip64Values(zip, at + 46 + nameLength, extraLength, wide);
      if (size === 0xffffffff) size = values.shift()!;
      if (compressed === 0xffffffff) compressed = values.shift()!;
      if (localOffset === 0xffffffff) localOffset = values.shift()!;
    }
    at += 46 + nameLength + extraLength + commentLength;

    if (flags & ENCRYPTED_FLAG) throw malformed(`zip entry ${name} is encrypted`);
    if (zip.u32(localOffset) !== LOCAL_HEADER) throw malformed(`zip entry ${name}: no local header at ${localOffset}`);
    const dataStart = localOffset + 30 + zip.u16(localOffset + 26) + zip.u16(localOffset + 28);
    zip.check(dataStart, compressed, `data of ${name}`);
    if (dataStart + compressed > directory.offset) throw malformed(`the data of zip entry ${name} overlaps the central directory`);
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    let data: Uint8Array;
    if (method === STORED) {
      if (compressed !== size) throw malformed(`stored zip entry ${name} declares ${size} bytes but holds ${compressed}`);
      data = raw;
    } else if (method === DEFLATED) {
      inflateBudget -= size;
      if (inflateBudget < 0) throw malformed(`zip entry ${name} declares ${size} uncompressed bytes, far more than the file's size allows`);
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
      } catch {
        throw malformed(`zip entry ${name} does not inflate to its declared ${size} bytes`);
      }
      if (data.length !== size) throw malformed(`zip entry ${name} inflates to ${data.length} bytes, not the declared ${size}`);
    } else {
      throw malformed(`zip entry ${name} uses compression method ${method}; only stored and deflated entries are read`);
    }
    if (crc32(data) !== crc) throw malformed(`zip entry ${name} fails its CRC check (the file is corrupt)`);
    if (entries.has(name)) throw malformed(`the zip holds two entries named ${name}`);
    entries.set(name, data);
  }
  return entries;
}
