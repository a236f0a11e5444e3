/**
 * Small dataset files written by the tests themselves: IDX, CIFAR batches, PNG and JPEG images, and
 * zip / tar archives, including hostile ones. The zip writer is ours (no zip-writing package is
 * installed) so that tests can forge headers: lying sizes, symlink modes, unsafe names.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import tar from 'tar-stream';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'trainyard-data-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeFile(dir: string, name: string, bytes: Uint8Array): { name: string; path: string } {
  const path = join(dir, name.replace(/[\\/]/g, '_'));
  writeFileSync(path, bytes);
  return { name, path };
}

// ---------------------------------------------------------------- IDX

export function idxImages(images: Uint8Array[], rows: number, cols: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(images.length, 4);
  header.writeUInt32BE(rows, 8);
  header.writeUInt32BE(cols, 12);
  return Buffer.concat([header, ...images]);
}

export function idxLabels(labels: number[]): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(labels.length, 4);
  return Buffer.concat([header, Buffer.from(labels)]);
}

/** n images of rows x cols whose every pixel is (10 * label + index) % 256, labels cycling 0..classes-1. */
export function idxPair(n: number, classes: number, rows = 4, cols = 3) {
  const labels = Array.from({ length: n }, (_, i) => i % classes);
  const images = labels.map((label, i) => new Uint8Array(rows * cols).fill((10 * label + i) % 256));
  return { images: idxImages(images, rows, cols), labels: idxLabels(labels), labelValues: labels, pixelValues: images.map((im) => im[0]) };
}

export { gzipSync };

// ---------------------------------------------------------------- CIFAR

/** One record: label byte(s), then the R, G and B planes. Pixel (y, x) of plane c is f(c, y, x). */
export function cifarRecord(labels: number[], f: (c: number, y: number, x: number) => number): Buffer {
  const record = Buffer.alloc(labels.length + 3072);
  labels.forEach((l, i) => (record[i] = l));
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) record[labels.length + c * 1024 + y * 32 + x] = f(c, y, x) & 255;
  return record;
}

export function cifarBatch(labelsPerRecord: number[][], seed = 0): Buffer {
  return Buffer.concat(labelsPerRecord.map((labels, i) => cifarRecord(labels, (c, y, x) => seed + i * 7 + c * 50 + y + x)));
}

// ---------------------------------------------------------------- images

/** An RGBA image whose pixel (y, x) is f(y, x) = [r, g, b]. */
export function rgba(width: number, height: number, f: (y: number, x: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = f(y, x);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return data;
}

export function png(width: number, height: number, f: (y: number, x: number) => [number, number, number], gray = false): Buffer {
  const image = new PNG({ width, height });
  image.data = rgba(width, height, f);
  return PNG.sync.write(image, gray ? { colorType: 0, inputColorType: 6 } : { colorType: 2, inputColorType: 6 });
}

export function jpegImage(width: number, height: number, f: (y: number, x: number) => [number, number, number]): Buffer {
  return jpeg.encode({ width, height, data: rgba(width, height, f) }, 95).data;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * An Adam7-interlaced RGB PNG (pngjs cannot write one). `padding` zero bytes appended to the image
 * data before compression make an interlaced "PNG bomb": tiny on disk, huge once inflated.
 */
export function interlacedPng(width: number, height: number, f: (y: number, x: number) => [number, number, number], padding = 0): Buffer {
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    for (let y = y0; y < height; y += dy) {
      if (x0 >= width) continue;
      rows.push(0); // filter type None
      for (let x = x0; x < width; x += dx) rows.push(...f(y, x));
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 1], 8); // 8 bits, RGB, deflate, adaptive filtering, Adam7
  const raw = Buffer.concat([Buffer.from(rows), Buffer.alloc(padding)]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A flat-colour image per class, so that the decoded pixels tell which class an image came from. */
export function classColour(classIndex: number): [number, number, number] {
  return [
    [200, 30, 30],
    [30, 200, 30],
    [30, 30, 200],
    [200, 200, 30],
  ][classIndex % 4] as [number, number, number];
}

// ---------------------------------------------------------------- zip

export interface ZipEntrySpec {
  name: string;
  data?: Buffer;
  /** 0 stored, 8 deflated (default 8). */
  method?: 0 | 8;
  /** Unix mode including the file type, e.g. 0o120777 for a symlink (default regular file 0o100644). */
  mode?: number;
  /** Uncompressed size written in the headers (default the true size): lets a test lie. */
  declaredSize?: number;
}

export function zip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    const method = entry.method ?? 8;
    const stored = method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(entry.name, 'utf8');
    const crc = crc32(data);
    const size = entry.declaredSize ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    const mode = entry.mode ?? (entry.name.endsWith('/') ? 0o040755 : 0o100644);
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

// ---------------------------------------------------------------- tar

export interface TarEntrySpec {
  name: string;
  data?: Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
  linkname?: string;
}

export async function tarball(entries: TarEntrySpec[], gzip = false): Promise<Buffer> {
  const pack = tar.pack();
  const parts: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: unknown) => parts.push(chunk as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const entry of entries) {
    const header = { name: entry.name, type: entry.type ?? 'file', linkname: entry.linkname, size: entry.data?.length ?? 0 };
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, entry.data ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve())),
    );
  }
  pack.finalize();
  await done;
  const bytes = Buffer.concat(parts);
  return gzip ? gzipSync(bytes) : bytes;
}

/** A raw 512-byte tar header (for forging what tar-stream's packer refuses to write). */
export function rawTarHeader(name: string, size: number, typeflag: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(size.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write(typeflag, 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return header;
}
