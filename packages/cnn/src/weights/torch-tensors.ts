/**
 * What both torch.save formats share: a pickle whose tensors are views (offset, size, stride) into
 * storages kept outside it. The format readers bind each storage to its bytes; this file checks every
 * view against its storage and decodes the values, after checking that the decoded tensors fit a
 * budget set by the file's size, so a file that declares huge or overlapping tensors fails before
 * anything is allocated.
 */
import { ExternalValue, PickleGlobal, type PickleKey, type PickleValue } from './pickle.js';
import { DTYPE_BYTES, decodedBytes, type StateDict, type StateDictDtype, type StateDictTensor } from './state-dict.js';
import { malformed } from './weights-errors.js';

/** Most dimensions a tensor of a torchvision state_dict has is 4; allow some room. */
const MAX_DIMENSIONS = 8;

export class StorageRef extends ExternalValue {
  /** Little-endian bytes, elements * DTYPE_BYTES[dtype] of them, once the format reader binds them. */
  bytes: Uint8Array | null = null;

  constructor(
    readonly key: string,
    readonly dtype: StateDictDtype,
    readonly elements: number,
  ) {
    super();
  }

  bind(bytes: Uint8Array): void {
    if (bytes.length !== this.elements * DTYPE_BYTES[this.dtype]) {
      throw malformed(`storage ${this.key} holds ${bytes.length} bytes, its header says ${this.elements} ${this.dtype} elements`);
    }
    this.bytes = bytes;
  }
}

export class TensorRef extends ExternalValue {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {
    super();
  }
}

export function isCount(value: PickleValue): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function countList(value: PickleValue, what: string): number[] {
  if (!Array.isArray(value) || value.length > MAX_DIMENSIONS || !value.every(isCount)) {
    throw malformed(`a tensor's ${what} is not a list of at most ${MAX_DIMENSIONS} non-negative integers`);
  }
  return value as number[];
}

/** The storage type of a persistent id, e.g. torch.FloatStorage. */
export function storageDtype(value: PickleValue): StateDictDtype {
  if (value instanceof PickleGlobal && value.resolved.kind === 'storage-type') return value.resolved.dtype;
  throw malformed('a storage reference without a storage type');
}

/** torch._utils._rebuild_tensor_v2's arguments, checked against the storage. */
export function rebuildTensor(args: PickleValue[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (args.length < 4 || !(storage instanceof StorageRef) || !isCount(offset)) {
    throw malformed('a tensor is not (storage, offset, size, stride, ...)');
  }
  const shape = countList(size, 'size');
  const strides = countList(stride, 'stride');
  if (shape.length !== strides.length) throw malformed(`a tensor has ${shape.length} sizes and ${strides.length} strides`);
  let elements = 1;
  let last = offset;
  for (let i = 0; i < shape.length; i++) {
    elements *= shape[i];
    if (shape[i] > 0) last += (shape[i] - 1) * strides[i];
  }
  // A state_dict's tensors never overlap themselves (no stride-0 broadcasts), so a tensor has at most
  // as many elements as its storage: this bounds every decoded tensor by the file's own size.
  if (elements > 0 && (elements > storage.elements || last >= storage.elements)) {
    throw malformed(
      `a tensor of shape [${shape}] with stride [${strides}] at offset ${offset} does not fit its storage of ${storage.elements} elements`,
    );
  }
  return new TensorRef(storage, offset, shape, strides);
}

function isContiguous(tensor: TensorRef): boolean {
  let expected = 1;
  for (let i = tensor.shape.length - 1; i >= 0; i--) {
    if (tensor.shape[i] !== 1 && tensor.stride[i] !== expected) return false;
    expected *= tensor.shape[i];
  }
  return true;
}

/** Element indices into the storage, in row-major order of the tensor. */
function* elementIndices(tensor: TensorRef): Generator<number> {
  const { shape, stride } = tensor;
  const total = shape.reduce((a, b) => a * b, 1);
  const index = new Array<number>(shape.length).fill(0);
  let at = tensor.offset;
  for (let n = 0; n < total; n++) {
    yield at;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++;
      at += stride[d];
      if (index[d] < shape[d]) break;
      at -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Decodes `count` little-endian elements of `dtype` from `bytes`, element i at byte i * width. */
function decodeElements(bytes: Uint8Array, dtype: StateDictDtype, indices: Iterable<number>, count: number): StateDictTensor['data'] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = DTYPE_BYTES[dtype];
  let n = 0;
  if (dtype === 'int64') {
    const out = new BigInt64Array(count);
    for (const i of indices) out[n++] = view.getBigInt64(i * width, true);
    return out;
  }
  const out =
    dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16'
      ? new Float32Array(count)
      : new Int32Array(count);
  const read: (offset: number) => number = {
    float32: (o: number) => view.getFloat32(o, true),
    float64: (o: number) => view.getFloat64(o, true),
    float16: (o: number) => halfToFloat(view.getUint16(o, true)),
    bfloat16: (o: number) => {
      scratch.setUint32(0, view.getUint16(o, true) << 16, true);
      return scratch.getFloat32(0, true);
    },
    int32: (o: number) => view.getInt32(o, true),
    int16: (o: number) => view.getInt16(o, true),
    int8: (o: number) => view.getInt8(o),
    uint8: (o: number) => view.getUint8(o),
    bool: (o: number) => (view.getUint8(o) === 0 ? 0 : 1),
  }[dtype];
  for (const i of indices) out[n++] = read(i * width);
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));

function* range(start: number, count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield start + i;
}

/**
 * A contiguous run of elements. float32 at an aligned address is used in place (no copy of a 500 MB
 * VGG file); the other types the platform has arrays for are copied once (a memcpy) and converted.
 */
export function decodeRun(bytes: Uint8Array, dtype: StateDictDtype, start: number, count: number): StateDictTensor['data'] {
  const width = DTYPE_BYTES[dtype];
  const byteStart = bytes.byteOffset + start * width;
  if (dtype === 'float32' && byteStart % 4 === 0) return new Float32Array(bytes.buffer, byteStart, count);
  const copy = (): ArrayBuffer => {
    // Not bytes.slice(): on a Buffer that is a view, not a copy.
    const aligned = new Uint8Array(count * width);
    aligned.set(bytes.subarray(start * width, (start + count) * width));
    return aligned.buffer;
  };
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy());
    case 'float64':
      return Float32Array.from(new Float64Array(copy()));
    case 'int64':
      return new BigInt64Array(copy());
    case 'int32':
      return new Int32Array(copy());
    default:
      return decodeElements(bytes, dtype, range(start, count), count);
  }
}

/**
 * Decodes every tensor of the state_dict `root` (after its storages are bound). `budget` is the most
 * bytes the decoded values may take: checked for all tensors before the first is decoded.
 */
export function decodeStateDict(root: Map<PickleKey, PickleValue>, budget: number): StateDict {
  const refs: Array<[string, TensorRef]> = [];
  let total = 0;
  for (const [key, value] of root) {
    if (typeof key !== 'string') throw malformed(`a state_dict key is not a string: ${String(key)}`);
    if (!(value instanceof TensorRef)) throw malformed(`state_dict entry ${JSON.stringify(key)} is not a tensor`);
    if (value.storage.bytes === null) throw malformed(`the storage of ${JSON.stringify(key)} is missing from the file`);
    total += decodedBytes(
      value.storage.dtype,
      value.shape.reduce((a, b) => a * b, 1),
    );
    refs.push([key, value]);
  }
  if (total > budget) throw malformed(`its tensors would take ${total} bytes, more than a file of its size can hold`);
  const tensors: StateDict = new Map();
  for (const [key, ref] of refs) {
    const count = ref.shape.reduce((a, b) => a * b, 1);
    const bytes = ref.storage.bytes!;
    const data = isContiguous(ref)
      ? decodeRun(bytes, ref.storage.dtype, ref.offset, count)
      : decodeElements(bytes, ref.storage.dtype, elementIndices(ref), count);
    tensors.set(key, { shape: [...ref.shape], dtype: ref.storage.dtype, data });
  }
  return tensors;
}

/** The Map of tensors inside what a torch.save pickle holds (a state_dict, or a checkpoint holding one). */
export function stateDictRoot(value: PickleValue): Map<PickleKey, PickleValue> {
  if (!(value instanceof Map)) throw malformed('the file holds no state_dict (its pickle is not a dictionary)');
  for (const key of ['state_dict', 'model_state_dict', 'model']) {
    const inner = value.get(key);
    if (inner instanceof Map && ![...value.values()].every((v) => v instanceof TensorRef)) return inner;
  }
  return value;
}
