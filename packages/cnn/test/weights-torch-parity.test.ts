/**
 * torchvision weights in and out, against torchvision itself (Debian's python3-torch and torchvision
 * 0.14). Python makes a seeded state_dict for each case (random weights, random batch-norm scales and
 * shifts, running statistics of a calibration batch, so that every layer keeps unit scale) and saves it
 * in one of the three formats, with torchvision's outputs for an input batch. Here each file is read,
 * inspected and loaded into our model, whose outputs (every head) must equal torchvision's at the
 * native input size: max|ours - torchvision| / max|torchvision| <= 1e-4. Then our model is exported as
 * safetensors, and Python loads that strictly into a fresh torchvision model, whose outputs must equal
 * ours to the same tolerance.
 *
 * Each architecture runs once, at batch 2, in this one process. With CI=true a missing python3-torch
 * fails the test instead of skipping it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/index.js';
import { buildModel, disposeBuiltModel } from '../src/models/index.js';
import { applyStateDict } from '../src/weights/apply-state-dict.js';
import { exportSafetensors } from '../src/weights/export-safetensors.js';
import { inspectWeights, readStateDict, type WeightsFormat } from '../src/weights/index.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../test/torch_weights.py');
const TOLERANCE = 1e-4;
const BATCH = 2;

interface Case {
  name: string;
  arch: string;
  format: WeightsFormat;
  classes: number;
  auxLogits: boolean;
  size: number;
  /** DenseNet keys as torchvision's published files have them (norm.1, conv.2, ...). */
  oldNames?: boolean;
}

const CASES: Case[] = [
  { name: 'resnet18', arch: 'resnet18', format: 'torch-zip', classes: 1000, auxLogits: false, size: 224 },
  { name: 'resnet50', arch: 'resnet50', format: 'safetensors', classes: 10, auxLogits: false, size: 224 },
  { name: 'densenet121', arch: 'densenet121', format: 'torch-legacy', classes: 10, auxLogits: false, size: 224, oldNames: true },
  { name: 'googlenet', arch: 'googlenet', format: 'torch-zip', classes: 10, auxLogits: false, size: 224 },
  { name: 'googlenet_aux', arch: 'googlenet', format: 'torch-legacy', classes: 10, auxLogits: true, size: 224 },
  { name: 'inception_v3', arch: 'inception_v3', format: 'safetensors', classes: 10, auxLogits: false, size: 299 },
  { name: 'inception_v3_aux', arch: 'inception_v3', format: 'torch-zip', classes: 10, auxLogits: true, size: 299 },
  { name: 'alexnet', arch: 'alexnet', format: 'torch-legacy', classes: 10, auxLogits: false, size: 224 },
  { name: 'vgg11_bn', arch: 'vgg11_bn', format: 'torch-zip', classes: 10, auxLogits: false, size: 224 },
];

const EXTENSION: Record<WeightsFormat, string> = { 'torch-zip': 'pth', 'torch-legacy': 'pth', safetensors: 'safetensors' };

function torchvisionAvailable(): boolean {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision; assert torchvision.__version__.startswith("0.14")'], {
    encoding: 'utf8',
  });
  return probe.status === 0;
}

function python(command: 'make' | 'verify', dir: string): string {
  const run = spawnSync(PYTHON, [SCRIPT, command, dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(run.status, 0, `torch_weights.py ${command} failed: ${run.stderr}`);
  return run.stdout;
}

function readFloats(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function relativeDifference(ours: Float32Array, theirs: Float32Array): number {
  let difference = 0;
  let largest = 0;
  for (let i = 0; i < theirs.length; i++) {
    difference = Math.max(difference, Math.abs(ours[i] - theirs[i]));
    largest = Math.max(largest, Math.abs(theirs[i]));
  }
  return difference / largest;
}

const available = torchvisionAvailable();
const missing = 'python3-torch / python3-torchvision 0.14 not installed';
if (!available && process.env.CI === 'true') {
  test('python3-torch and torchvision are installed (required with CI=true)', () => assert.fail(missing));
}

test(
  'torchvision state_dicts in all three formats load into our models, which then compute what torchvision computes; our safetensors export loads strictly back into torchvision',
  { skip: !available && missing, timeout: 30 * 60_000 },
  async () => {
    await initEngine();
    const dir = mkdtempSync(join(tmpdir(), 'trainyard-weights-'));
    try {
      const cases = CASES.map((c, i) => ({ ...c, seed: 1000 + i, batch: BATCH, file: `${c.name}.${EXTENSION[c.format]}` }));
      writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
      python('make', dir);

      for (const c of cases) {
        const bytes = readFileSync(join(dir, c.file));
        const inspection = inspectWeights(bytes, c.arch);
        assert.equal(inspection.format, c.format, c.name);
        assert.equal(inspection.classes, c.classes, c.name);
        assert.equal(inspection.auxLogits, c.auxLogits, c.name);
        const { tensors } = readStateDict(bytes);

        const built = buildModel(c.arch, {
          inputShape: [c.size, c.size, 3],
          classes: c.classes,
          ...(c.auxLogits === false && ['googlenet', 'inception_v3'].includes(c.arch) ? { auxLogits: false } : {}),
        });
        try {
          const applied = applyStateDict(built, tensors, { architecture: c.arch, skipClassifier: false });
          // Published DenseNet files predate num_batches_tracked; nothing else may be missing.
          assert.deepEqual(
            applied.missing.filter((name) => !(c.oldNames && name.endsWith('.num_batches_tracked'))),
            [],
            c.name,
          );
          assert.deepEqual(applied.skipped, [], c.name);
          const x = tf.tensor4d(readFloats(join(dir, `${c.name}.input`)), [c.batch, c.size, c.size, 3]);
          const outputs = built.training.predict(x) as tf.Tensor | tf.Tensor[];
          const heads = Array.isArray(outputs) ? outputs : [outputs];
          assert.equal(heads.length, c.arch === 'googlenet' && c.auxLogits ? 3 : c.auxLogits ? 2 : 1, c.name);
          const ours = new Float32Array(heads.reduce((n, h) => n + h.size, 0));
          let at = 0;
          for (const head of heads) {
            ours.set(head.dataSync() as Float32Array, at);
            at += head.size;
          }
          tf.dispose([x, ...heads]);
          const theirs = readFloats(join(dir, `${c.name}.torch`));
          assert.equal(ours.length, theirs.length, c.name);
          const difference = relativeDifference(ours, theirs);
          console.log(`${c.name} (${c.format}): max|ours - torchvision| / max|torchvision| = ${difference.toExponential(2)}`);
          assert.ok(difference <= TOLERANCE, `${c.name}: outputs differ from torchvision's by ${difference} (relative)`);
          // The outputs must depend on the image, or the comparison would prove little.
          const perImage = ours.length / heads.length / c.batch;
          assert.ok(
            relativeDifference(ours.subarray(0, perImage), ours.subarray(perImage, 2 * perImage)) > 0.05,
            `${c.name}: both images give the same outputs`,
          );

          writeFileSync(join(dir, `${c.name}.ours`), ours);
          const exported = exportSafetensors(built, {
            architecture: c.arch,
            metadata: { inputShape: JSON.stringify([c.size, c.size, 3]) },
          });
          writeFileSync(join(dir, `${c.name}.export.safetensors`), exported);
        } finally {
          disposeBuiltModel(built);
        }
      }

      const verified = JSON.parse(python('verify', dir)) as Record<string, { differences: number[]; metadata: Record<string, string> }>;
      for (const c of cases) {
        const result = verified[c.name];
        assert.ok(result, c.name);
        assert.equal(result.metadata.architecture, c.arch);
        assert.equal(result.metadata.inputShape, JSON.stringify([c.size, c.size, 3]));
        for (const difference of result.differences) {
          assert.ok(
            difference <= TOLERANCE,
            `${c.name}: torchvision loading our export differs from our model by ${difference} (relative)`,
          );
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
