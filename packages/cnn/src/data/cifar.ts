/**
 * CIFAR-10 and CIFAR-100 binary batches: fixed-size records of label byte(s) and 3072 pixel bytes,
 * 32x32 in planar order (all red, then all green, then all blue). CIFAR-10 records have one label
 * byte; CIFAR-100 records have a coarse and a fine label byte, and we train on the fine labels.
 * Pixels are turned into NHWC (interleaved) as records are read.
 */
import type { InputShape } from '../types.js';
import { whereKey, type AssembledData, type Examples, type RecordPick } from './assemble.js';
import type { Chunks } from './byte-stream.js';
import { ChunkReader } from './chunk-reader.js';
import { CIFAR100_DEFAULT_CLASS_NAMES, CIFAR10_CLASS_NAMES } from './class-names.js';
import { datasetProblem, malformed, tooLarge, type Where } from './dataset-errors.js';
import type { DatasetLimits } from './options.js';

export type CifarVariant = 'cifar10' | 'cifar100';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXEL_BYTES = 3 * PLANE;
const CIFAR_SHAPE: InputShape = [SIDE, SIDE, 3];
const COARSE_CLASSES = 20;

const LABEL_BYTES: Record<CifarVariant, number> = { cifar10: 1, cifar100: 2 };

function cifarRecordBytes(variant: CifarVariant): number {
  return LABEL_BYTES[variant] + PIXEL_BYTES;
}

function describeRecord(variant: CifarVariant): string {
  return variant === 'cifar10'
    ? `${cifarRecordBytes(variant)}-byte CIFAR-10 record (1 label byte + ${PIXEL_BYTES} pixel bytes)`
    : `${cifarRecordBytes(variant)}-byte CIFAR-100 record (coarse and fine label bytes + ${PIXEL_BYTES} pixel bytes)`;
}

/** The official batch names: data_batch_N.bin / test_batch.bin (CIFAR-10), train.bin / test.bin (CIFAR-100). */
export function cifarVariantFromName(name: string): CifarVariant | null {
  const base = baseName(name);
  if (/^(data_batch_\d+|test_batch)\.bin$/i.test(base)) return 'cifar10';
  if (/^(train|test)\.bin$/i.test(base)) return 'cifar100';
  return null;
}

/** The variant whose record size divides `bytes`, when exactly one does. */
export function cifarVariantFromSize(bytes: number): CifarVariant | null {
  const fits = (['cifar10', 'cifar100'] as const).filter((v) => bytes > 0 && bytes % cifarRecordBytes(v) === 0);
  return fits.length === 1 ? fits[0] : null;
}

function isCifarTestName(name: string): boolean {
  return /^(test_batch|test)\.bin$/i.test(baseName(name));
}

/** Meta files that name the classes: batches.meta.txt (CIFAR-10), fine_label_names.txt (CIFAR-100). */
export function cifarMetaKind(name: string): 'names' | 'ignored' | null {
  const base = baseName(name).toLowerCase();
  if (base === 'batches.meta.txt' || base === 'fine_label_names.txt') return 'names';
  if (base === 'coarse_label_names.txt' || base === 'readme.html') return 'ignored';
  return null;
}

export interface CifarFile {
  where: Where;
  isTest: boolean;
  labels: Int32Array;
  /** NHWC bytes, null when not kept. */
  pixels: Uint8Array | null;
}

/**
 * Reads one batch. `knownSize` (the byte length, when known before reading) lets a file of the wrong
 * length fail before anything is read and lets the pixels be allocated once.
 */
export async function readCifarFile(
  chunks: Chunks,
  where: Where,
  variant: CifarVariant,
  keepPixels: boolean,
  knownSize: number | undefined,
  limits: Pick<DatasetLimits, 'maxDecodedBytes'>,
  pick?: RecordPick,
): Promise<CifarFile> {
  const picked = pick?.selection.get(whereKey(where));
  const recordBytes = cifarRecordBytes(variant);
  if (knownSize !== undefined) checkLength(knownSize, variant, where);
  const expectedPixels = knownSize === undefined ? 0 : (knownSize / recordBytes) * PIXEL_BYTES;
  const pixels = new GrowingBytes(keepPixels ? expectedPixels : 0, limits.maxDecodedBytes, where);
  const labels: number[] = [];
  const record = new Uint8Array(recordBytes);
  const reader = new ChunkReader(chunks);
  try {
    for (;;) {
      const got = await reader.readInto(record, 0, recordBytes);
      if (got === 0) break;
      if (got < recordBytes) checkLength(reader.position, variant, where);
      const index = labels.length;
      if (variant === 'cifar100' && record[0] >= COARSE_CLASSES) {
        throw malformed(
          where,
          `record ${index} has coarse label ${record[0]}, not below ${COARSE_CLASSES}; is this really a CIFAR-100 batch?`,
          {
            index,
            coarseLabel: record[0],
          },
        );
      }
      labels.push(record[LABEL_BYTES[variant] - 1]);
      // Counted even when the pixels are not kept: a gzipped batch of zeros is a valid batch of any size.
      const slot = pixels.append(PIXEL_BYTES, keepPixels);
      if (slot) planarToInterleaved(record, LABEL_BYTES[variant], slot);
      if (picked?.has(index)) {
        const one = new Uint8Array(PIXEL_BYTES);
        planarToInterleaved(record, LABEL_BYTES[variant], one);
        pick!.sink(whereKey(where), index, one, CIFAR_SHAPE);
      }
    }
  } finally {
    await reader.close();
  }
  return {
    where,
    isTest: isCifarTestName(where.entry ?? where.file),
    labels: Int32Array.from(labels),
    pixels: keepPixels ? pixels.bytes() : null,
  };
}

function checkLength(bytes: number, variant: CifarVariant, where: Where): void {
  const recordBytes = cifarRecordBytes(variant);
  if (bytes > 0 && bytes % recordBytes === 0) return;
  const records = Math.floor(bytes / recordBytes);
  throw malformed(
    where,
    bytes === 0
      ? 'is empty'
      : `is ${bytes} bytes long, not a multiple of the ${describeRecord(variant)}: ${records} whole records and ${bytes % recordBytes} bytes left over`,
    { bytes, recordBytes },
  );
}

function planarToInterleaved(record: Uint8Array, offset: number, out: Uint8Array): void {
  for (let p = 0; p < PLANE; p++) {
    out[3 * p] = record[offset + p];
    out[3 * p + 1] = record[offset + PLANE + p];
    out[3 * p + 2] = record[offset + 2 * PLANE + p];
  }
}

/** Pixels of a batch whose length is not known in advance (inflated or archived batches). */
class GrowingBytes {
  private buffer: Uint8Array;
  private length = 0;

  constructor(
    initial: number,
    private readonly cap: number,
    private readonly where: Where,
  ) {
    if (initial > cap) throw this.tooLarge();
    this.buffer = new Uint8Array(initial);
  }

  private tooLarge() {
    return tooLarge(this.where, `its pixels exceed ${this.cap} bytes`, { option: 'maxDecodedBytes', value: this.cap });
  }

  /** A view of the next `n` bytes, growing the buffer when needed; with `keep` false, only counts them. */
  append(n: number, keep: boolean): Uint8Array | null {
    const needed = this.length + n;
    if (needed > this.cap) throw this.tooLarge();
    if (!keep) {
      this.length = needed;
      return null;
    }
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.min(this.cap, Math.max(needed, 2 * this.buffer.length, 1 << 20)));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    const view = this.buffer.subarray(this.length, needed);
    this.length = needed;
    return view;
  }

  bytes(): Uint8Array {
    return this.length === this.buffer.length ? this.buffer : this.buffer.slice(0, this.length);
  }
}

/** Class names from a meta file: one per line, blank lines ignored. */
export function parseClassNamesText(text: string, where: Where): string[] {
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length < 2) throw malformed(where, `names ${names.length} classes; a class-names file needs one name per line, at least 2`);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw malformed(where, `names the class "${duplicate}" twice`);
  return names;
}

/**
 * Joins batches into a dataset: test_batch.bin / test.bin form the test set, all others the training
 * set. Class names come from `classNames` (option or meta file), else the variant's defaults.
 */
export function assembleCifar(files: CifarFile[], variant: CifarVariant, name: string, classNames: string[] | undefined): AssembledData {
  const names = classNames ?? (variant === 'cifar10' ? CIFAR10_CLASS_NAMES : CIFAR100_DEFAULT_CLASS_NAMES);
  for (const file of files) {
    const bad = file.labels.findIndex((label) => label >= names.length);
    if (bad >= 0) {
      throw malformed(file.where, `record ${bad} has label ${file.labels[bad]}, not below the number of classes (${names.length})`, {
        index: bad,
        label: file.labels[bad],
        classes: names.length,
      });
    }
  }
  const trainFiles = files.filter((f) => !f.isTest);
  const testFiles = files.filter((f) => f.isTest);
  if (trainFiles.length === 0) {
    throw datasetProblem(
      'dataset_malformed',
      `Only test batches were given (${testFiles.map((f) => `"${f.where.entry ?? f.where.file}"`).join(', ')}); a CIFAR dataset needs at least one training batch.`,
    );
  }
  return {
    format: variant,
    name,
    classNames: [...names],
    train: concatenate(trainFiles),
    test: testFiles.length > 0 ? concatenate(testFiles) : null,
  };
}

function concatenate(files: CifarFile[]): Examples {
  const labels = new Int32Array(files.reduce((n, f) => n + f.labels.length, 0));
  let pixels: Uint8Array | null = null;
  if (files.every((f) => f.pixels)) {
    pixels = files.length === 1 ? files[0].pixels : new Uint8Array(labels.length * PIXEL_BYTES);
  }
  let offset = 0;
  for (const file of files) {
    labels.set(file.labels, offset);
    if (pixels && files.length > 1) pixels.set(file.pixels as Uint8Array, offset * PIXEL_BYTES);
    offset += file.labels.length;
  }
  const parts = files.map((file) => ({ key: whereKey(file.where), first: 0, count: file.labels.length }));
  return { where: files[0].where, shape: CIFAR_SHAPE, labels, pixels, parts };
}

function baseName(name: string): string {
  return name.split(/[\\/]/).pop() ?? name;
}
