/**
 * The checkpoint byte format. Free of TensorFlow.js: it stores plain typed arrays.
 *
 *   offset 0   8 bytes   magic "TYCKPT\r\n" (the CR LF catches text-mode transfers that rewrite line ends)
 *          8   u32 LE    format version (CHECKPOINT_VERSION)
 *         12   u32 LE    header length H in bytes
 *         16   H bytes   header: UTF-8 JSON (everything except the arrays, plus where each array lies)
 *              padding   zeros up to a multiple of 8
 *              arrays    every array's little-endian bytes, each starting at a multiple of 8
 *        end-32 32 bytes SHA-256 of all the bytes before it
 */
import { createHash } from 'node:crypto';
import { CnnError } from '../errors.js';
import type { EpochMetrics, InputShape, Normalization, TrainConfig } from '../types.js';

export const CHECKPOINT_VERSION = 1;
const MAGIC = new Uint8Array([0x54, 0x59, 0x43, 0x4b, 0x50, 0x54, 0x0d, 0x0a]); // "TYCKPT\r\n"
const PREAMBLE = 16;
const DIGEST = 32;

/** A named array: a model weight, an optimizer accumulator, a shuffled order. */
export interface SavedArray {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** Running sums of the epoch in progress, so a mid-epoch resume reports the same epoch metrics. */
export interface PartialEpoch {
  lossSum: number;
  correct: number;
  seen: number;
  trainSeconds: number;
}

/** Everything a run needs to continue exactly where it stopped. */
export interface TrainingCheckpoint {
  architecture: string;
  inputShape: InputShape;
  classes: number;
  config: TrainConfig;
  normalization: Normalization | null;
  /** Epochs completed. */
  epoch: number;
  /** Batches completed in the epoch after `epoch` (0 at an epoch boundary). */
  stepInEpoch: number;
  /** Optimizer steps taken since the start of the run. */
  globalStep: number;
  history: EpochMetrics[];
  /** State of the shuffling/augmentation generator. */
  random: Record<string, unknown>;
  /** State of the seeded Math.random (dropout masks), or null when it was not seeded. */
  globalRandom: Record<string, unknown> | null;
  /** The shuffled order of the epoch in progress (mid-epoch checkpoints only). */
  epochOrder: Int32Array | null;
  partialEpoch: PartialEpoch | null;
  /** Every model weight (trainable and not: batch-norm moving statistics too), in model.weights order. */
  weights: SavedArray[];
  /** optimizer.getWeights() in its order, plus Adam's running beta powers. */
  optimizer: { arrays: SavedArray[]; adamBetaPowers: [number, number] | null };
}

interface ArrayEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

interface Header extends Omit<TrainingCheckpoint, 'weights' | 'optimizer' | 'epochOrder'> {
  weights: ArrayEntry[];
  optimizer: { arrays: ArrayEntry[]; adamBetaPowers: [number, number] | null };
  epochOrder: ArrayEntry | null;
}

export function encodeCheckpoint(checkpoint: TrainingCheckpoint): Uint8Array {
  let offset = 0;
  const blobs: Array<Float32Array | Int32Array> = [];
  const place = (array: SavedArray): ArrayEntry => {
    offset = align8(offset);
    const entry = { name: array.name, shape: array.shape, dtype: array.dtype, offset, length: array.data.length };
    blobs.push(array.data);
    offset += array.data.byteLength;
    return entry;
  };
  const header: Header = {
    ...checkpoint,
    weights: checkpoint.weights.map(place),
    optimizer: { arrays: checkpoint.optimizer.arrays.map(place), adamBetaPowers: checkpoint.optimizer.adamBetaPowers },
    epochOrder: checkpoint.epochOrder
      ? place({ name: 'epochOrder', shape: [checkpoint.epochOrder.length], dtype: 'int32', data: checkpoint.epochOrder })
      : null,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align8(PREAMBLE + headerBytes.length);
  const total = dataStart + align8(offset) + DIGEST;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  bytes.set(headerBytes, PREAMBLE);
  const entries = [...header.weights, ...header.optimizer.arrays, ...(header.epochOrder ? [header.epochOrder] : [])];
  entries.forEach((entry, i) => {
    const data = blobs[i];
    bytes.set(littleEndianBytes(data), dataStart + entry.offset);
  });
  bytes.set(sha256(bytes.subarray(0, total - DIGEST)), total - DIGEST);
  return bytes;
}

/** Checks magic, version and checksum, then rebuilds the checkpoint. Any defect: CnnError('checkpoint_invalid'). */
export function decodeCheckpoint(bytes: Uint8Array): TrainingCheckpoint {
  if (!(bytes instanceof Uint8Array) || bytes.length < PREAMBLE + DIGEST) invalid(`too short (${bytes?.length ?? 0} bytes)`);
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) invalid('not a Trainyard checkpoint (bad magic bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) invalid(`format version ${version}, this build reads version ${CHECKPOINT_VERSION}`);
  const expected = sha256(bytes.subarray(0, bytes.length - DIGEST));
  const stored = bytes.subarray(bytes.length - DIGEST);
  if (!expected.every((b, i) => b === stored[i])) invalid('checksum mismatch (truncated or corrupted)');

  const headerLength = view.getUint32(12, true);
  if (PREAMBLE + headerLength > bytes.length - DIGEST) invalid('header length exceeds the file');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE, PREAMBLE + headerLength)));
  } catch {
    invalid('header is not valid JSON');
  }
  const dataStart = align8(PREAMBLE + headerLength);
  const dataEnd = bytes.length - DIGEST;
  const read = (entry: ArrayEntry): SavedArray => {
    if (entry.dtype !== 'float32' && entry.dtype !== 'int32') invalid(`array ${entry.name} has unknown dtype ${entry.dtype}`);
    const byteLength = entry.length * 4;
    const start = dataStart + entry.offset;
    if (!Number.isInteger(entry.offset) || !Number.isInteger(entry.length) || start + byteLength > dataEnd) {
      invalid(`array ${entry.name} lies outside the file`);
    }
    const copy = bytes.slice(start, start + byteLength);
    const data = fromLittleEndian(copy, entry.dtype);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (count !== entry.length) invalid(`array ${entry.name} has ${entry.length} values for shape [${entry.shape}]`);
    return { name: entry.name, shape: entry.shape, dtype: entry.dtype, data };
  };
  try {
    return {
      ...header,
      weights: header.weights.map(read),
      optimizer: { arrays: header.optimizer.arrays.map(read), adamBetaPowers: header.optimizer.adamBetaPowers },
      epochOrder: header.epochOrder ? (read(header.epochOrder).data as Int32Array) : null,
    };
  } catch (error) {
    if (error instanceof CnnError) throw error;
    invalid(`header is incomplete (${(error as Error).message})`);
  }
}

function invalid(problem: string): never {
  throw new CnnError('checkpoint_invalid', `Checkpoint is invalid: ${problem}.`);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(data: Float32Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return LITTLE_ENDIAN ? bytes : swap4(bytes.slice());
}

function fromLittleEndian(bytes: Uint8Array, dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  const native = LITTLE_ENDIAN ? bytes : swap4(bytes);
  return dtype === 'int32'
    ? new Int32Array(native.buffer, native.byteOffset, native.length / 4)
    : new Float32Array(native.buffer, native.byteOffset, native.length / 4);
}

function swap4(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < bytes.length; i += 4) {
    [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]] = [bytes[i + 3], bytes[i + 2], bytes[i + 1], bytes[i]];
  }
  return bytes;
}
