/**
 * IDX files (MNIST, Fashion-MNIST): a big-endian header `0 0 type dims`, one uint32 per dimension, then
 * the values. Images are N x rows x cols unsigned bytes (magic 0x00000803; 0x00000804 adds a channel
 * dimension), labels are N unsigned bytes (0x00000801). Pairing images with labels and finding the
 * test pair happens in readIdxDataset.
 */
import type { InputShape } from '../types.js';
import { whereKey, type AssembledData, type Examples, type RecordPick } from './assemble.js';
import type { Chunks } from './byte-stream.js';
import { ChunkReader } from './chunk-reader.js';
import { numberedClassNames } from './class-names.js';
import { malformed, tooLarge, unsupported, datasetProblem, type Where } from './dataset-errors.js';
import type { DatasetLimits } from './options.js';

const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

export interface IdxFile {
  where: Where;
  kind: 'images' | 'labels';
  count: number;
  /** Images only. */
  shape: InputShape | null;
  /** Image bytes (null when not kept); label files always keep their labels. */
  pixels: Uint8Array | null;
  labels: Int32Array | null;
}

/** True when the first four bytes look like an IDX header (any data type, 1 to 4 dimensions). */
export function looksLikeIdx(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] in IDX_TYPES && head[3] >= 1 && head[3] <= 4;
}

/** When the file's (inflated) size is known: whether it is exactly what the header declares. */
export function idxSizeMatches(head: Uint8Array, size: number): boolean {
  const dimensions = head[3];
  if (head.length < 4 + 4 * dimensions) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let values = 1;
  for (let i = 0; i < dimensions; i++) values *= view.getUint32(4 + 4 * i, false);
  return size === 4 + 4 * dimensions + values;
}

/** Reads one IDX file from its (already inflated) bytes, checking that the data matches the header. */
export async function readIdxFile(
  chunks: Chunks,
  where: Where,
  keepPixels: boolean,
  limits: Pick<DatasetLimits, 'maxDecodedBytes'>,
  pick?: RecordPick,
): Promise<IdxFile> {
  const reader = new ChunkReader(chunks);
  try {
    const dims = await readHeader(reader, where);
    const count = dims[0];
    if (dims.length === 1) {
      if (count > limits.maxDecodedBytes) {
        throw tooLarge(where, `its header declares ${count} labels`, { option: 'maxDecodedBytes', value: limits.maxDecodedBytes });
      }
      const bytes = await readBody(reader, where, count, count, `${count} labels`, true);
      return { where, kind: 'labels', count, shape: null, pixels: null, labels: Int32Array.from(bytes as Uint8Array) };
    }
    const shape = imageShape(dims, where);
    const perImage = shape[0] * shape[1] * shape[2];
    const total = count * perImage;
    if (total > limits.maxDecodedBytes) {
      throw tooLarge(where, `its header declares ${count} images of ${shape.join('x')}, ${total} bytes`, {
        option: 'maxDecodedBytes',
        value: limits.maxDecodedBytes,
      });
    }
    const picked = pick?.selection.get(whereKey(where));
    if (picked) {
      await readPicked(reader, where, perImage, picked, (record, pixels) => pick!.sink(whereKey(where), record, pixels, shape));
      return { where, kind: 'images', count, shape, pixels: null, labels: null };
    }
    const pixels = await readBody(reader, where, total, perImage, `${count} images of ${shape[0]}x${shape[1]}`, keepPixels);
    return { where, kind: 'images', count, shape, pixels, labels: null };
  } finally {
    await reader.close();
  }
}

async function readHeader(reader: ChunkReader, where: Where): Promise<number[]> {
  const magic = new Uint8Array(4);
  if ((await reader.readInto(magic, 0, 4)) < 4 || !looksLikeIdx(magic)) {
    throw malformed(where, 'is not an IDX file (its first bytes are not an IDX magic number such as 0x00000803)', {
      magic: Buffer.from(magic).toString('hex'),
    });
  }
  if (magic[2] !== 0x08) {
    throw unsupported(where, `holds IDX values of type ${IDX_TYPES[magic[2]]}; only unsigned bytes (type 0x08) are supported`);
  }
  const dimensionCount = magic[3];
  const raw = new Uint8Array(4 * dimensionCount);
  if ((await reader.readInto(raw, 0, raw.length)) < raw.length) {
    throw malformed(where, `is truncated inside its header (${dimensionCount} dimensions declared)`);
  }
  const view = new DataView(raw.buffer);
  return Array.from({ length: dimensionCount }, (_, i) => view.getUint32(4 * i, false));
}

function imageShape(dims: number[], where: Where): InputShape {
  if (dims.length === 2) {
    throw unsupported(where, 'is a 2-dimensional IDX file (vectors); images need N x rows x cols (magic 0x00000803)');
  }
  const [, rows, cols, channels = 1] = dims;
  if (rows === 0 || cols === 0) throw malformed(where, `declares images of ${rows}x${cols} pixels`);
  if (channels !== 1 && channels !== 3) {
    throw unsupported(where, `declares ${channels} channels per pixel; 1 (grayscale) or 3 (RGB) are supported`);
  }
  return [rows, cols, channels];
}

/** Reads only the records `picked` names (the file was checked whole before), skipping the rest unkept. */
async function readPicked(
  reader: ChunkReader,
  where: Where,
  unit: number,
  picked: Set<number>,
  onRecord: (record: number, pixels: Uint8Array) => void,
): Promise<void> {
  let next = 0;
  for (const record of [...picked].sort((a, b) => a - b)) {
    await reader.skip((record - next) * unit);
    const pixels = new Uint8Array(unit);
    if ((await reader.readInto(pixels, 0, unit)) < unit) throw malformed(where, `is truncated before record ${record}`);
    onRecord(record, pixels);
    next = record + 1;
  }
}

/**
 * Reads exactly `total` bytes (kept or discarded) and checks that nothing follows them.
 * `unit` is the size of one record, to say how many whole records a truncated file holds.
 */
async function readBody(
  reader: ChunkReader,
  where: Where,
  total: number,
  unit: number,
  declared: string,
  keep: boolean,
): Promise<Uint8Array | null> {
  let got: number;
  let bytes: Uint8Array | null = null;
  if (keep) {
    bytes = new Uint8Array(total);
    got = await reader.readInto(bytes, 0, total);
  } else {
    got = await reader.skip(total);
  }
  if (got < total) {
    const whole = unit > 0 ? Math.floor(got / unit) : 0;
    throw malformed(
      where,
      `is truncated: its header declares ${declared} (${total} bytes of data) but only ${got} bytes follow (${whole} whole records)`,
      {
        expectedBytes: total,
        actualBytes: got,
      },
    );
  }
  if (!(await reader.atEnd())) {
    throw malformed(where, `has data after the ${declared} its header declares`, { expectedBytes: total });
  }
  return bytes;
}

/**
 * Pairs IDX files into a dataset: one images file and one labels file, optionally a second pair for
 * the test set. The test pair is the one whose names say "t10k" or "test"; when names do not tell,
 * the pair with fewer examples.
 */
export function assembleIdx(files: IdxFile[], name: string, classNames: string[] | undefined): AssembledData {
  const images = files.filter((f) => f.kind === 'images');
  const labels = files.filter((f) => f.kind === 'labels');
  const list = (fs: IdxFile[]) => fs.map((f) => `"${f.where.entry ?? f.where.file}"`).join(', ') || 'none';
  if (images.length !== labels.length || images.length === 0 || images.length > 2) {
    throw datasetProblem(
      'dataset_malformed',
      'An IDX dataset is one images file and one labels file, plus optionally a test images file and a test labels file; ' +
        `got image files ${list(images)} and label files ${list(labels)}.`,
      { imageFiles: images.map((f) => f.where), labelFiles: labels.map((f) => f.where) },
    );
  }
  const [trainImages, testImages] = orderTrainTest(images);
  const [trainLabels, testLabels] = orderTrainTest(labels);
  const train = pair(trainImages, trainLabels);
  const test = testImages && testLabels ? pair(testImages, testLabels) : null;
  let maxLabel = 0;
  for (const examples of [train, test]) for (const label of examples?.labels ?? []) maxLabel = Math.max(maxLabel, label);
  return {
    format: 'idx',
    name,
    classNames: classNames ?? numberedClassNames(maxLabel + 1),
    train,
    test,
  };
}

function orderTrainTest(files: IdxFile[]): [IdxFile, IdxFile | undefined] {
  if (files.length === 1) return [files[0], undefined];
  const named = files.map((f) => /t10k|test/i.test(f.where.entry ?? f.where.file));
  if (named[0] !== named[1]) return named[0] ? [files[1], files[0]] : [files[0], files[1]];
  return files[0].count >= files[1].count ? [files[0], files[1]] : [files[1], files[0]];
}

function pair(images: IdxFile, labels: IdxFile): Examples {
  if (images.count !== labels.count) {
    throw malformed(
      labels.where,
      `has ${labels.count} labels but the images file "${images.where.entry ?? images.where.file}" has ${images.count} images`,
      { labels: labels.count, images: images.count, imagesFile: images.where },
    );
  }
  return {
    where: labels.where,
    shape: images.shape as InputShape,
    labels: labels.labels as Int32Array,
    pixels: images.pixels,
    parts: [{ key: whereKey(images.where), first: 0, count: images.count }],
  };
}
