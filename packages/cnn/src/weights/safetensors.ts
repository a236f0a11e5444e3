/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`,
 * then the data, each tensor row-major little-endian at its offsets relative to the data's start.
 * Nothing in it can run code; the reader checks that every tensor's offsets agree with its shape and
 * dtype, lie inside the file and do not overlap, before anything is allocated.
 */
import { decodeRun } from './torch-tensors.js';
import { DTYPE_BYTES, numel, type StateDict, type StateDictDtype } from './state-dict.js';
import { malformed } from './weights-errors.js';

/** A header larger than this is refused (the reference implementation's limit is 100 MB too). */
const MAX_HEADER_BYTES = 100_000_000;

const FROM_SAFETENSORS: Record<string, StateDictDtype> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};
const TO_SAFETENSORS = Object.fromEntries(Object.entries(FROM_SAFETENSORS).map(([k, v]) => [v, k])) as Record<StateDictDtype, string>;

/** Looks like safetensors: a plausible header length followed by a JSON object. */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return length >= 2n && bytes[8] === 0x7b; // '{'
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.length <= 8 && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** A header is { name: { dtype, shape: [...], data_offsets: [...] } }: three levels of nesting. */
const MAX_DEPTH = 3;
/** Three objects or arrays per tensor: room for 100,000 tensors (DenseNet-201 has 1,207). */
const MAX_CONTAINERS = 300_000;

/**
 * Before JSON.parse: the header's nesting and number of objects and arrays. A byte of `[` costs an
 * array; without this, a 100 MB header of brackets would take gigabytes.
 */
function checkHeaderStructure(header: Uint8Array): void {
  let depth = 0;
  let containers = 0;
  let inString = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      containers++;
      if (depth > MAX_DEPTH || containers > MAX_CONTAINERS)
        throw malformed('the safetensors header nests deeper or holds more objects than a header can');
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

export interface Safetensors {
  tensors: StateDict;
  metadata: Record<string, string>;
}

export function readSafetensors(bytes: Uint8Array): Safetensors {
  if (bytes.length < 8) throw malformed('a safetensors file shorter than its header length');
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw malformed(`the safetensors header declares ${declared} bytes; the file has ${bytes.length - 8} after the length`);
  }
  const headerEnd = 8 + Number(declared);
  checkHeaderStructure(bytes.subarray(8, headerEnd));
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd)));
  } catch {
    throw malformed('the safetensors header is not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw malformed('the safetensors header is not an object');
  const data = bytes.subarray(headerEnd);
  const metadata: Record<string, string> = {};
  const spans: Array<{ name: string; begin: number; end: number; dtype: StateDictDtype; shape: number[] }> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw malformed('__metadata__ is not an object');
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') throw malformed(`__metadata__.${key} is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(FROM_SAFETENSORS, dtype))
      throw malformed(`tensor ${name} has an unknown dtype ${JSON.stringify(dtype)}`);
    if (!isShape(shape)) throw malformed(`tensor ${name} has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw malformed(`tensor ${name} has no valid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const type = FROM_SAFETENSORS[dtype];
    const elements = numel(shape);
    if (end > data.length || begin > end)
      throw malformed(`tensor ${name}'s data [${begin}, ${end}) lies outside the ${data.length} data bytes`);
    if (end - begin !== elements * DTYPE_BYTES[type]) {
      throw malformed(
        `tensor ${name} of shape [${shape}] ${dtype} needs ${elements * DTYPE_BYTES[type]} bytes; its offsets give ${end - begin}`,
      );
    }
    spans.push({ name, begin, end, dtype: type, shape });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].begin < spans[i - 1].end) throw malformed(`tensors ${spans[i - 1].name} and ${spans[i].name} overlap`);
  }
  const tensors: StateDict = new Map();
  for (const span of spans) {
    const values = decodeRun(data.subarray(span.begin, span.end), span.dtype, 0, (span.end - span.begin) / DTYPE_BYTES[span.dtype]);
    tensors.set(span.name, { shape: span.shape, dtype: span.dtype, data: values });
  }
  return { tensors, metadata };
}

/** A tensor to write: values in row-major order, float32 or int64. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | BigInt64Array;
}

/** Writes tensors (in the given order) and string metadata as one safetensors file. */
export function writeSafetensors(tensors: TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const tensor of tensors) {
    if (tensor.data.length !== numel(tensor.shape))
      throw new Error(`${tensor.name}: ${tensor.data.length} values for shape [${tensor.shape}]`);
    const dtype: StateDictDtype = tensor.data instanceof BigInt64Array ? 'int64' : 'float32';
    header[tensor.name] = { dtype: TO_SAFETENSORS[dtype], shape: tensor.shape, data_offsets: [offset, offset + tensor.data.byteLength] };
    offset += tensor.data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  const padding = (8 - (json.length % 8)) % 8;
  if (padding > 0) json = Buffer.concat([json, Buffer.alloc(padding, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const tensor of tensors) {
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), at);
    at += tensor.data.byteLength;
  }
  return out;
}
