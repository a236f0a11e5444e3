/**
 * Reading weights files: the values torch.save wrote in each format come back exactly, and hostile
 * files (a pickle that calls os.system, truncated zips, lying shapes and offsets, huge declared sizes)
 * are refused with weights_unsafe or weights_malformed, quickly and without allocating what they
 * declare. The torch-made files need Debian's python3-torch (with CI=true its absence fails the test);
 * the hand-made hostile files need nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isCnnError } from '../src/errors.js';
import { readStateDict, writeSafetensors } from '../src/weights/index.js';
import { floats, PickleWriter, safetensorsWithHeader, storedZip, torchLegacy, torchZip } from './weights-fixtures.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../test/torch_weights.py');

function refuses(bytes: Uint8Array, code: 'weights_malformed' | 'weights_unsafe', why?: RegExp): void {
  assert.throws(
    () => readStateDict(bytes),
    (error: unknown) => {
      assert.ok(isCnnError(error), `expected a CnnError, got ${String(error)}`);
      assert.equal(error.code, code, error.message);
      if (why) assert.match(error.message, why);
      return true;
    },
  );
}

function values(data: ArrayLike<number | bigint>): number[] {
  return Array.from(data, Number);
}

const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const missing = 'python3-torch not installed';
if (!torchAvailable && process.env.CI === 'true') {
  test('python3-torch is installed (required with CI=true)', () => assert.fail(missing));
}

const dir = mkdtempSync(join(tmpdir(), 'trainyard-weights-read-'));
after(() => rmSync(dir, { recursive: true, force: true }));
if (torchAvailable) {
  const made = spawnSync(PYTHON, [SCRIPT, 'tiny', dir], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
}

test(
  'torch.save zip, torch.save legacy and safetensors files read back exactly (float16, float64, int64, a strided tensor)',
  { skip: !torchAvailable && missing },
  () => {
    const expected = JSON.parse(readFileSync(join(dir, 'tiny.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
    for (const [file, format] of [
      ['tiny.zip.pt', 'torch-zip'],
      ['tiny.legacy.pt', 'torch-legacy'],
      ['tiny.safetensors', 'safetensors'],
    ] as const) {
      const read = readStateDict(readFileSync(join(dir, file)));
      assert.equal(read.format, format);
      const names = Object.keys(expected).filter((name) => format !== 'safetensors' || name !== 'strided');
      assert.deepEqual([...read.tensors.keys()], names, file);
      for (const name of names) {
        const tensor = read.tensors.get(name)!;
        assert.deepEqual(tensor.shape, expected[name].shape, `${file} ${name}`);
        // float32 holds every value of the file exactly, float16 and the float32-born float64 included.
        assert.deepEqual(
          Array.from(tensor.data, Number),
          expected[name].values.map((v) => Math.fround(v)),
          `${file} ${name}`,
        );
      }
      assert.equal(read.tensors.get('bn.num_batches_tracked')!.dtype, 'int64');
      assert.equal(read.tensors.get('half')!.dtype, 'float16');
      if (format === 'safetensors') assert.deepEqual(read.metadata, { note: 'tiny' });
    }
  },
);

test(
  'a pickle that calls os.system is refused as weights_unsafe and never runs (zip and legacy)',
  { skip: !torchAvailable && missing },
  () => {
    refuses(readFileSync(join(dir, 'exploit.zip.pt')), 'weights_unsafe', /system/);
    refuses(readFileSync(join(dir, 'exploit.legacy.pt')), 'weights_unsafe', /system/);
    assert.equal(existsSync(join(dir, 'pwned')), false);
  },
);

test(
  'every truncation of a torch zip, legacy or safetensors file is refused as weights_malformed',
  { skip: !torchAvailable && missing },
  () => {
    for (const file of ['tiny.zip.pt', 'tiny.legacy.pt', 'tiny.safetensors']) {
      const bytes = readFileSync(join(dir, file));
      for (let length = 0; length < bytes.length; length++) refuses(bytes.subarray(0, length), 'weights_malformed');
    }
  },
);

const ONE_TENSOR = [{ name: 'w', storage: '0', storageElements: 4, shape: [2, 2] }];

test('hand-made torch zips read, and each lying field is refused', () => {
  const good = readStateDict(torchZip(ONE_TENSOR, { 0: floats(1, 2, 3, 4) }));
  assert.deepEqual(values(good.tensors.get('w')!.data), [1, 2, 3, 4]);

  // lying shapes, strides and offsets: a view past its storage
  refuses(torchZip([{ ...ONE_TENSOR[0], shape: [3, 2] }], { 0: floats(1, 2, 3, 4) }), 'weights_malformed', /does not fit its storage/);
  refuses(torchZip([{ ...ONE_TENSOR[0], offset: 1 }], { 0: floats(1, 2, 3, 4) }), 'weights_malformed', /does not fit/);
  refuses(torchZip([{ ...ONE_TENSOR[0], stride: [3, 1] }], { 0: floats(1, 2, 3, 4) }), 'weights_malformed', /does not fit/);
  // a broadcast (stride 0) of a small storage to a huge tensor
  refuses(torchZip([{ ...ONE_TENSOR[0], shape: [2 ** 30, 2 ** 20], stride: [0, 0] }], { 0: floats(1, 2, 3, 4) }), 'weights_malformed');
  // huge declared sizes: a storage of 2^40 elements, a tensor of 2^62
  refuses(torchZip([{ ...ONE_TENSOR[0], storageElements: 2 ** 40 }], { 0: floats(1, 2, 3, 4) }), 'weights_malformed', /holds 16 bytes/);
  refuses(torchZip([{ ...ONE_TENSOR[0], shape: [2 ** 31, 2 ** 31] }], { 0: floats(1, 2, 3, 4) }), 'weights_malformed');
  // a storage the archive lacks, of another type than its bytes
  refuses(torchZip(ONE_TENSOR, { 1: floats(1, 2, 3, 4) }), 'weights_malformed', /missing/);
  refuses(torchZip([{ ...ONE_TENSOR[0], storageType: 'DoubleStorage' }], { 0: floats(1, 2, 3, 4) }), 'weights_malformed');
  // two tensors over one storage, each fitting, whose total exceeds what the file can hold
  const many = Array.from({ length: 400 }, (_, i) => ({ name: `w${i}`, storage: '0', storageElements: 1024, shape: [1024] }));
  refuses(torchZip(many, { 0: new Uint8Array(4096) }), 'weights_malformed', /more than a file of its size/);
});

test('zip headers that lie about sizes and offsets are refused before any read or allocation', () => {
  const zip = torchZip(ONE_TENSOR, { 0: floats(1, 2, 3, 4) });
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.length - 22;
  const centralOffset = view.getUint32(end + 16, true);
  const lie = (at: number, value: number, bytes: 2 | 4 = 4): Uint8Array => {
    const copy = zip.slice();
    const v = new DataView(copy.buffer);
    if (bytes === 4) v.setUint32(at, value, true);
    else v.setUint16(at, value, true);
    return copy;
  };
  refuses(lie(end + 16, 0xfffffff0), 'weights_malformed'); // central directory offset
  refuses(lie(end + 12, 0x7ffffff0), 'weights_malformed'); // central directory size
  refuses(lie(end + 10, 0xfff0, 2), 'weights_malformed'); // entry count
  refuses(lie(centralOffset + 42, 0x7ffffff0), 'weights_malformed'); // local header offset
  refuses(lie(centralOffset + 24, 0xfffffff0), 'weights_malformed'); // uncompressed size
  refuses(lie(centralOffset + 20, 0xfffffff0), 'weights_malformed'); // compressed size
  refuses(lie(centralOffset + 28, 0xffff, 2), 'weights_malformed'); // name length
  // a flipped byte of stored data fails the CRC check
  const flipped = zip.slice();
  flipped[30 + 'archive/data.pkl'.length + 5] ^= 0xff;
  refuses(flipped, 'weights_malformed');
  // a deflated entry declaring far more bytes than the file could hold (a zip bomb)
  const bomb = lie(centralOffset + 10, 8, 2);
  new DataView(bomb.buffer).setUint32(centralOffset + 24, 0x7fffffff, true);
  refuses(bomb, 'weights_malformed', /declares/);
  // an archive with no data.pkl, or two
  refuses(storedZip([['archive/data/0', floats(1)]]), 'weights_malformed', /data\.pkl/);
});

test('pickle opcodes and globals beyond a state_dict are refused as weights_unsafe', () => {
  const wrap = (pickle: Uint8Array) => torchZip([], {}, pickle);
  // protocol 0: os.system('true')
  refuses(wrap(Uint8Array.from(Buffer.from("cos\nsystem\n(S'true'\ntR.", 'latin1'))), 'weights_unsafe', /os\.system/);
  // protocol 2: builtins.eval through GLOBAL and REDUCE
  refuses(
    wrap(
      new PickleWriter()
        .global('builtins', 'eval')
        .tuple([(w) => w.string('1')])
        .bytes(0x52)
        .stop(),
    ),
    'weights_unsafe',
    /builtins\.eval/,
  );
  // protocol 4: STACK_GLOBAL subprocess.Popen
  refuses(wrap(new PickleWriter().string('subprocess').string('Popen').bytes(0x93).stop()), 'weights_unsafe', /subprocess\.Popen/);
  // allowed globals misused: calling a storage type, OrderedDict with arguments, BUILD on a tensor
  refuses(wrap(new PickleWriter().global('torch', 'FloatStorage').bytes(0x29, 0x52).stop()), 'weights_unsafe');
  refuses(
    wrap(
      new PickleWriter()
        .global('collections', 'OrderedDict')
        .tuple([(w) => w.bytes(0x5d)])
        .bytes(0x52)
        .stop(),
    ),
    'weights_unsafe',
  );
  refuses(wrap(new PickleWriter().bytes(0x5d).bytes(0x7d).bytes(0x62).stop()), 'weights_unsafe');
  // INST, OBJ, NEWOBJ, EXT1: opcodes that construct objects
  for (const op of [0x69, 0x6f, 0x81, 0x82]) refuses(wrap(new PickleWriter().bytes(0x7d, op).stop()), 'weights_unsafe');
  // not a pickle opcode at all; a memo read of nothing; a string longer than the file; an unterminated global
  refuses(wrap(new PickleWriter().bytes(0xff).stop()), 'weights_malformed');
  refuses(wrap(new PickleWriter().bytes(0x68, 7).stop()), 'weights_malformed', /memo/);
  refuses(wrap(new PickleWriter().bytes(0x58, 0xff, 0xff, 0xff, 0xff).stop()), 'weights_malformed', /past the end/);
  refuses(wrap(Uint8Array.from([0x80, 2, 0x63, ...Buffer.from('a'.repeat(1000))])), 'weights_malformed');
  // a few bytes per object: 5 MB of EMPTY_DICT, of DUP + APPEND, of BINPUT into new memo slots (each
  // would cost ten times its bytes or more in objects)
  const flood = (prefix: number[], unit: number[], count: number): Uint8Array => {
    const bytes = new Uint8Array(2 + prefix.length + unit.length * count + 1);
    bytes.set([0x80, 2, ...prefix]);
    for (let i = 0, at = 2 + prefix.length; i < count; i++, at += unit.length) bytes.set(unit, at);
    bytes[bytes.length - 1] = 0x2e;
    return bytes;
  };
  refuses(wrap(flood([], [0x7d], 5_000_000)), 'weights_malformed', /far more than any state_dict/);
  refuses(wrap(flood([0x5d], [0x32, 0x61], 2_500_000)), 'weights_malformed', /far more than any state_dict/);
  const memo = flood([0x5d], [0x72, 0, 0, 0, 0], 1_000_001);
  for (let i = 0; i < 1_000_001; i++) new DataView(memo.buffer).setUint32(3 + 5 * i + 1, i, true);
  refuses(wrap(memo), 'weights_malformed', /far more than any state_dict/);
  // something other than a dictionary of tensors
  refuses(wrap(new PickleWriter().bytes(0x5d).stop()), 'weights_malformed', /not a dictionary/);
  refuses(wrap(new PickleWriter().bytes(0x7d).string('w').int(3).bytes(0x73).stop()), 'weights_malformed', /not a tensor/);
});

test('legacy files whose storage records lie are refused', () => {
  const tensors = [{ name: 'w', storage: '7', storageElements: 4, shape: [4] }];
  const good = readStateDict(torchLegacy(tensors, [{ key: '7', elements: 4, data: floats(1, 2, 3, 4) }]));
  assert.equal(good.format, 'torch-legacy');
  assert.deepEqual(values(good.tensors.get('w')!.data), [1, 2, 3, 4]);
  // torch < 0.4 (some published torchvision files): _rebuild_tensor without requires_grad and hooks
  const old = readStateDict(torchLegacy([{ ...tensors[0], oldRebuild: true }], [{ key: '7', elements: 4, data: floats(1, 2, 3, 4) }]));
  assert.deepEqual(values(old.tensors.get('w')!.data), [1, 2, 3, 4]);
  refuses(torchLegacy(tensors, [{ key: '7', elements: 2 ** 40, data: floats(1, 2, 3, 4) }]), 'weights_malformed', /elements/);
  refuses(torchLegacy(tensors, [{ key: '7', elements: 4, data: floats(1, 2, 3) }]), 'weights_malformed');
  refuses(torchLegacy(tensors, [{ key: '8', elements: 4, data: floats(1, 2, 3, 4) }]), 'weights_malformed', /keys/);
  refuses(
    torchLegacy([{ ...tensors[0], storageElements: 2 ** 40 }], [{ key: '7', elements: 2 ** 40, data: floats(1, 2, 3, 4) }]),
    'weights_malformed',
  );
});

test('safetensors headers that lie about lengths, shapes and offsets are refused', () => {
  const data = floats(1, 2, 3, 4);
  const good = readStateDict(safetensorsWithHeader({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, data));
  assert.deepEqual(values(good.tensors.get('w')!.data), [1, 2, 3, 4]);
  const lying = (header: unknown) => safetensorsWithHeader(header, data);
  refuses(lying({ w: { dtype: 'F32', shape: [3, 2], data_offsets: [0, 16] } }), 'weights_malformed', /needs 24 bytes/);
  refuses(lying({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [8, 24] } }), 'weights_malformed', /outside/);
  refuses(lying({ w: { dtype: 'F32', shape: [2 ** 30, 2 ** 30], data_offsets: [0, 2 ** 62] } }), 'weights_malformed');
  refuses(
    lying({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, v: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }),
    'weights_malformed',
    /overlap/,
  );
  refuses(lying({ w: { dtype: 'Q8', shape: [4], data_offsets: [0, 16] } }), 'weights_malformed', /dtype/);
  refuses(lying({ w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }), 'weights_malformed', /shape/);
  refuses(lying({ __metadata__: { n: 1 }, w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }), 'weights_malformed', /metadata/);
  // a header length of 2^60
  const huge = safetensorsWithHeader({}, data);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
  refuses(huge, 'weights_malformed', /declares/);
  // nesting and objects beyond what a header holds (each `[` would cost an array)
  const brackets = (text: string) => {
    const json = Buffer.from(text);
    return new Uint8Array(Buffer.concat([Buffer.from(new BigUint64Array([BigInt(json.length)]).buffer), json]));
  };
  refuses(brackets(`{"w":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`), 'weights_malformed', /nests/);
  refuses(brackets(`{${Array.from({ length: 400_000 }, (_, i) => `"${i}":[]`).join(',')}}`), 'weights_malformed', /objects/);
  // not JSON
  const broken = safetensorsWithHeader({ w: 1 }, data);
  broken[10] = 0xff;
  refuses(broken, 'weights_malformed');
});

test('writeSafetensors round-trips through readStateDict with its metadata', () => {
  const bytes = writeSafetensors(
    [
      { name: 'a.weight', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'a.num_batches_tracked', shape: [], data: BigInt64Array.of(42n) },
    ],
    { classes: '["cat","dog"]' },
  );
  assert.equal(new DataView(bytes.buffer).getBigUint64(0, true) % 8n, 0n, 'the data starts 8-byte aligned');
  const read = readStateDict(bytes);
  assert.deepEqual(read.metadata, { classes: '["cat","dog"]' });
  assert.deepEqual(values(read.tensors.get('a.weight')!.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(read.tensors.get('a.num_batches_tracked'), { shape: [], dtype: 'int64', data: BigInt64Array.of(42n) });
});

test('files of no accepted format are weights_malformed', () => {
  refuses(new Uint8Array(0), 'weights_malformed');
  refuses(Buffer.from('hello world, not weights'), 'weights_malformed', /not a PyTorch/);
  refuses(Buffer.from('PK\x05\x06' + '\0'.repeat(18), 'latin1'), 'weights_malformed');
});
