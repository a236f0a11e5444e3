/**
 * Hand-made weights files for the reader tests: a pickle writer that produces what torch.save's
 * pickler writes for a state_dict (protocol 2), a stored-zip writer, and torch's two layouts around
 * them, so that each test can make one field lie and nothing else.
 */
import { crc32 } from 'node:zlib';

export interface PickledTensor {
  name: string;
  storage: string;
  storageType?: string;
  /** Elements of the storage (the persistent id's size). */
  storageElements: number;
  offset?: number;
  shape: number[];
  stride?: number[];
  /** torch < 0.4 pickled tensors with _rebuild_tensor(storage, offset, size, stride). */
  oldRebuild?: boolean;
}

function contiguousStride(shape: number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = step;
    step *= shape[i];
  }
  return stride;
}

/** A protocol-2 pickle writer: just the opcodes torch's pickler emits for a state_dict. */
export class PickleWriter {
  private readonly parts: number[] = [0x80, 2];

  bytes(...values: number[]): this {
    this.parts.push(...values);
    return this;
  }

  int(value: number): this {
    if (value >= 0 && value < 256) return this.bytes(0x4b, value);
    if (value >= 0 && value < 65536) return this.bytes(0x4d, value & 0xff, value >> 8);
    if (value >= -(2 ** 31) && value < 2 ** 31)
      return this.bytes(0x4a, value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff);
    // LONG1 with 8 bytes
    const b = new DataView(new ArrayBuffer(8));
    b.setBigInt64(0, BigInt(value), true);
    return this.bytes(0x8a, 8, ...new Uint8Array(b.buffer));
  }

  string(value: string): this {
    const encoded = Buffer.from(value, 'utf8');
    return this.bytes(
      0x58,
      encoded.length & 0xff,
      (encoded.length >> 8) & 0xff,
      (encoded.length >> 16) & 0xff,
      encoded.length >>> 24,
      ...encoded,
    );
  }

  global(module: string, name: string): this {
    return this.bytes(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }

  tuple(items: Array<(w: this) => void>): this {
    this.bytes(0x28);
    for (const item of items) item(this);
    return this.bytes(0x74);
  }

  stop(): Uint8Array {
    return Uint8Array.from([...this.parts, 0x2e]);
  }
}

/** torch.save's pickle of an OrderedDict of tensors; `legacy` adds the sixth field (view) to storage ids. */
function pickleStateDict(tensors: PickledTensor[], legacy = false): Uint8Array {
  const w = new PickleWriter().global('collections', 'OrderedDict').bytes(0x29, 0x52, 0x28);
  for (const t of tensors) {
    w.string(t.name).global('torch._utils', t.oldRebuild ? '_rebuild_tensor' : '_rebuild_tensor_v2');
    const extra = [(x: PickleWriter) => x.bytes(0x89), (x: PickleWriter) => x.global('collections', 'OrderedDict').bytes(0x29, 0x52)];
    w.tuple([
      (x) =>
        x
          .tuple([
            (y) => y.string('storage'),
            (y) => y.global('torch', t.storageType ?? 'FloatStorage'),
            (y) => y.string(t.storage),
            (y) => y.string('cpu'),
            (y) => y.int(t.storageElements),
            ...(legacy ? [(y: PickleWriter) => y.bytes(0x4e)] : []),
          ])
          .bytes(0x51),
      (x) => x.int(t.offset ?? 0),
      (x) => x.tuple(t.shape.map((d) => (y: PickleWriter) => y.int(d))),
      (x) => x.tuple((t.stride ?? contiguousStride(t.shape)).map((d) => (y: PickleWriter) => y.int(d))),
      ...(t.oldRebuild ? [] : extra),
    ]);
    w.bytes(0x52);
  }
  return w.bytes(0x75).stop();
}

/** A zip of stored entries (no compression), as torch.save writes, without zip64 or alignment. */
export function storedZip(entries: Array<[string, Uint8Array]>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, Buffer.from(data));
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

/** A torch zip holding `tensors` (storage keys -> float32 data). */
export function torchZip(tensors: PickledTensor[], storages: Record<string, Uint8Array>, pickle = pickleStateDict(tensors)): Uint8Array {
  return storedZip([
    ['archive/data.pkl', pickle],
    ...Object.entries(storages).map(([key, data]): [string, Uint8Array] => [`archive/data/${key}`, data]),
    ['archive/version', Buffer.from('3\n')],
  ]);
}

/** A legacy torch.save file: magic, protocol, system info, the state_dict, the keys, then each storage. */
export function torchLegacy(tensors: PickledTensor[], storages: Array<{ key: string; elements: number; data: Uint8Array }>): Uint8Array {
  const magic = new PickleWriter().bytes(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop();
  const protocol = new PickleWriter().int(1001).stop();
  const info = new PickleWriter().bytes(0x7d, 0x28).string('little_endian').bytes(0x88).bytes(0x75).stop();
  const keys = new PickleWriter().bytes(0x5d, 0x28);
  for (const storage of storages) keys.string(storage.key);
  const parts: Uint8Array[] = [magic, protocol, info, pickleStateDict(tensors, true), keys.bytes(0x65).stop()];
  for (const storage of storages) {
    const count = Buffer.alloc(8);
    count.writeBigInt64LE(BigInt(storage.elements));
    parts.push(count, storage.data);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** A safetensors file with a header written as given (so that it can lie). */
export function safetensorsWithHeader(header: unknown, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return new Uint8Array(Buffer.concat([length, json, data]));
}

export function floats(...values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
