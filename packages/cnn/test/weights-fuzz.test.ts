/**
 * Mutation fuzz of the weights readers (fast-check, seeded so failures reproduce): valid files in
 * each format, damaged by random byte flips, truncations, insertions and large integers written over
 * size and offset fields, must read as a state_dict whose tensors fit the file, or be refused with a
 * weights_* CnnError; never another exception, a crash, or an allocation out of proportion to the file
 * (the process's memory is sampled after every case).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { isCnnError } from '../src/errors.js';
import { inspectWeights, readStateDict, writeSafetensors } from '../src/weights/index.js';
import { floats, torchLegacy, torchZip } from './weights-fixtures.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../test/torch_weights.py');
const RUNS_PER_FILE = 600;
/** Memory growth beyond this during the fuzz means some input made us allocate what it declared. */
const MEMORY_SLACK = 256 * 2 ** 20;

type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'big'; at: number; value: number; width: 2 | 4 | 8 };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('big' as const),
    at: fc.nat(),
    value: fc.constantFrom(0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff0, 2 ** 31 + 1, 65535, 0),
    width: fc.constantFrom(2 as const, 4 as const, 8 as const),
  }),
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Buffer.from(original);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
    if (m.kind === 'flip') bytes[at] = m.value;
    else if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
    else if (m.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
    else {
      const start = Math.min(at, Math.max(0, bytes.length - m.width));
      const field = Buffer.alloc(m.width);
      if (m.width === 2) field.writeUInt16LE(m.value & 0xffff);
      else if (m.width === 4) field.writeUInt32LE(m.value >>> 0);
      else field.writeBigUInt64LE(BigInt(m.value) * 2n ** 32n + BigInt(m.value));
      field.copy(bytes, start, 0, Math.min(m.width, bytes.length - start));
    }
  }
  return new Uint8Array(bytes);
}

function originals(): Array<[string, Uint8Array]> {
  const tensors = [
    { name: 'conv.weight', storage: '0', storageElements: 12, shape: [2, 1, 2, 3] },
    { name: 'fc.bias', storage: '1', storageElements: 3, shape: [3] },
    { name: 'view', storage: '0', storageElements: 12, shape: [3, 2], stride: [1, 3], offset: 2 },
  ];
  const data0 = floats(...Array.from({ length: 12 }, (_, i) => i / 7));
  const data1 = floats(0.5, -1, 2);
  const files: Array<[string, Uint8Array]> = [
    ['hand-made torch zip', torchZip(tensors, { 0: data0, 1: data1 })],
    [
      'hand-made legacy',
      torchLegacy(tensors, [
        { key: '0', elements: 12, data: data0 },
        { key: '1', elements: 3, data: data1 },
      ]),
    ],
    [
      'safetensors',
      writeSafetensors(
        [
          { name: 'conv.weight', shape: [2, 1, 2, 3], data: new Float32Array(data0.buffer) },
          { name: 'bn.num_batches_tracked', shape: [], data: BigInt64Array.of(9n) },
        ],
        { note: 'fuzz' },
      ),
    ],
  ];
  // torch's own files too, where python3-torch is installed (the reader tests require it in CI).
  const dir = mkdtempSync(join(tmpdir(), 'trainyard-weights-fuzz-'));
  try {
    if (spawnSync(PYTHON, [SCRIPT, 'tiny', dir], { encoding: 'utf8' }).status === 0) {
      for (const file of ['tiny.zip.pt', 'tiny.legacy.pt', 'tiny.safetensors'])
        files.push([`torch's ${file}`, readFileSync(join(dir, file))]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return files;
}

function checkOutcome(bytes: Uint8Array): 'read' | 'refused' {
  try {
    const { tensors } = readStateDict(bytes);
    let decoded = 0;
    for (const [name, tensor] of tensors) {
      const elements = tensor.shape.reduce((a, b) => a * b, 1);
      assert.equal(tensor.data.length, elements, `${name}: ${tensor.data.length} values for shape [${tensor.shape}]`);
      decoded += tensor.data.byteLength;
    }
    assert.ok(decoded <= 2 * bytes.length + 4096, `decoded ${decoded} bytes from a ${bytes.length}-byte file`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.ok(
      isCnnError(error) && error.code.startsWith('weights_'),
      `not a weights_* CnnError: ${String((error as Error)?.stack ?? error)}`,
    );
    return 'refused';
  }
  // The inspection of a read file ends in a result or a CnnError too.
  try {
    inspectWeights(bytes, 'resnet18');
  } catch (error) {
    assert.ok(isCnnError(error), String(error));
  }
  return 'read';
}

test('randomly damaged weights files read as a state_dict that fits the file or are refused with a weights_* code, without unbounded allocation', () => {
  const baseline = process.memoryUsage();
  let peak = 0;
  const outcomes = { read: 0, refused: 0 };
  for (const [name, original] of originals()) {
    assert.equal(checkOutcome(original), 'read', `${name} reads undamaged`);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        outcomes[checkOutcome(mutate(original, mutations))]++;
        const usage = process.memoryUsage();
        peak = Math.max(peak, usage.rss - baseline.rss, usage.arrayBuffers - baseline.arrayBuffers);
      }),
      { numRuns: RUNS_PER_FILE, seed: 11 },
    );
  }
  console.log(`outcomes ${JSON.stringify(outcomes)}; largest memory growth ${peak} bytes`);
  assert.ok(outcomes.refused > 0 && outcomes.read > 0, `both outcomes occur: ${JSON.stringify(outcomes)}`);
  assert.ok(peak < MEMORY_SLACK, `memory grew by ${peak} bytes during the fuzz`);
});
