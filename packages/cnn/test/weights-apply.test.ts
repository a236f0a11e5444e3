/**
 * Mapping torchvision state_dicts onto our models: torchvision's layout of every ImageNet-layout
 * architecture (torchvisionStateDict) equals both torchvision's own state_dict and what our built models
 * map to; loading refuses every misfit with weights_mismatch and details.tensors, allows a classifier
 * of another size when asked to, and refuses smallInput; exporting and loading back gives the same
 * weights bit for bit, the normalisation going to __metadata__.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/index.js';
import { isCnnError } from '../src/errors.js';
import { assembleModel } from '../src/models/build.js';
import { getVariant, validateBuildOptions } from '../src/models/catalog-info.js';
import { buildModel, disposeBuiltModel } from '../src/models/index.js';
import type { BuildOptions, BuiltModel } from '../src/types.js';
import { applyStateDict } from '../src/weights/apply-state-dict.js';
import { exportSafetensors } from '../src/weights/export-safetensors.js';
import {
  inspectStateDict,
  inspectWeights,
  pretrainedArchitectures,
  readStateDict,
  torchvisionStateDict,
  writeSafetensors,
  type StateDict,
} from '../src/weights/index.js';
import { batchNormLayers, modelTensors } from '../src/weights/model-tensors.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../test/torch_weights.py');

function nativeSize(name: string): number {
  return getVariant(name).nativeInputShape[0];
}

function layoutOf(model: BuiltModel): string[] {
  const tensors = modelTensors(model.training).map((t) => `${t.name} [${t.torchShape}]`);
  const counters = batchNormLayers(model.training).map((layer) => `${layer}.num_batches_tracked []`);
  return [...tensors, ...counters].sort();
}

function expectedLayout(name: string, auxLogits: boolean, classes = 10): string[] {
  return torchvisionStateDict(name, { classes, auxLogits })
    .map((t) => `${t.name} [${t.shape}]`)
    .sort();
}

/** A state_dict with torchvision's layout of `name` and seeded values. */
function syntheticStateDict(name: string, classes: number, auxLogits = false): StateDict {
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const tensors: StateDict = new Map();
  for (const t of torchvisionStateDict(name, { classes, auxLogits })) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.role === 'num_batches_tracked') tensors.set(t.name, { shape: [], dtype: 'int64', data: BigInt64Array.of(3n) });
    else if (t.role === 'running_var') tensors.set(t.name, { shape: t.shape, dtype: 'float32', data: new Float32Array(size).fill(1) });
    else tensors.set(t.name, { shape: t.shape, dtype: 'float32', data: Float32Array.from({ length: size }, random) });
  }
  return tensors;
}

function mismatchOf(action: () => unknown): Array<{ name: string; expected: number[] | null; got: number[] | null }> {
  try {
    action();
  } catch (error) {
    assert.ok(isCnnError(error, 'weights_mismatch'), String(error));
    return (error.details as { tensors: Array<{ name: string; expected: number[] | null; got: number[] | null }> }).tensors;
  }
  assert.fail('expected weights_mismatch');
}

test("every ImageNet-layout architecture maps onto exactly torchvision's state_dict names and shapes", async () => {
  await initEngine();
  const names = pretrainedArchitectures();
  assert.deepEqual(names, [
    'alexnet',
    'vgg11',
    'vgg13',
    'vgg16',
    'vgg19',
    'vgg11_bn',
    'vgg13_bn',
    'vgg16_bn',
    'vgg19_bn',
    'googlenet',
    'inception_v3',
    'resnet18',
    'resnet34',
    'resnet50',
    'resnet101',
    'resnet152',
    'densenet121',
    'densenet161',
    'densenet169',
    'densenet201',
  ]);
  for (const name of names) {
    for (const auxLogits of getVariant(name).config.family === 'googlenet' || getVariant(name).config.family === 'inception'
      ? [true, false]
      : [false]) {
      const size = nativeSize(name);
      const options: BuildOptions = {
        inputShape: [size, size, 3],
        classes: 10,
        ...(auxLogits ? {} : name.match(/googlenet|inception/) ? { auxLogits: false } : {}),
      };
      const model = assembleModel(getVariant(name), validateBuildOptions(name, options), true);
      try {
        assert.deepEqual(layoutOf(model), expectedLayout(name, auxLogits), `${name} auxLogits=${auxLogits}`);
      } finally {
        disposeBuiltModel(model);
      }
    }
  }
});

const torchAvailable = spawnSync(PYTHON, ['-c', 'import torchvision'], { encoding: 'utf8' }).status === 0;
const missing = 'python3-torchvision not installed';
if (!torchAvailable && process.env.CI === 'true') {
  test('python3-torch and torchvision are installed (required with CI=true)', () => assert.fail(missing));
}

test(
  "torchvisionStateDict is torchvision 0.14's state_dict, name for name and in order, for every ImageNet-layout architecture",
  { skip: !torchAvailable && missing },
  () => {
    const names = pretrainedArchitectures();
    const run = spawnSync(PYTHON, [SCRIPT, 'keys', ...names], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(run.status, 0, run.stderr);
    const torchvision = JSON.parse(run.stdout) as Record<string, Array<[string, number[]]>>;
    for (const name of names) {
      const ours = torchvisionStateDict(name, { classes: 10, auxLogits: true }).map((t) => [t.name, t.shape]);
      assert.deepEqual(ours, torchvision[name], name);
    }
  },
);

test('loading refuses every misfit with weights_mismatch and details.tensors, and replaces a classifier of another size only when asked', async () => {
  await initEngine();
  const model = buildModel('resnet18', { inputShape: [64, 64, 3], classes: 5 });
  try {
    const imagenet = syntheticStateDict('resnet18', 1000);
    assert.deepEqual(
      mismatchOf(() => applyStateDict(model, imagenet, { architecture: 'resnet18', skipClassifier: false })),
      [
        { name: 'fc.weight', expected: [5, 512], got: [1000, 512] },
        { name: 'fc.bias', expected: [5], got: [1000] },
      ],
    );
    const before = model.training.getLayer('fc').getWeights()[0].dataSync().slice();
    const applied = applyStateDict(model, imagenet, { architecture: 'resnet18', skipClassifier: true });
    assert.deepEqual(
      applied.skipped.map((t) => t.name),
      ['fc.weight', 'fc.bias'],
    );
    assert.deepEqual(applied.missing, []);
    assert.equal(applied.loaded, modelTensors(model.training).length - 2);
    assert.deepEqual(model.training.getLayer('fc').getWeights()[0].dataSync(), before, 'the classifier is left as it was');
    // conv1.weight is OIHW in the file, HWIO in the model
    const conv1 = imagenet.get('conv1.weight')!;
    const kernel = model.training.getLayer('conv1').getWeights()[0];
    const [o, i, h, w] = [1, 2, 3, 4];
    assert.equal(kernel.arraySync() instanceof Array, true);
    assert.equal((kernel.arraySync() as number[][][][])[h][w][i][o], conv1.data[((o * 3 + i) * 7 + h) * 7 + w]);
    const runningMean = imagenet.get('layer2.0.downsample.1.running_mean')!.data as Float32Array;
    assert.deepEqual(model.training.getLayer('layer2.0.downsample.1').getWeights()[2].dataSync(), runningMean);

    const wrong = syntheticStateDict('resnet18', 5);
    wrong.delete('layer1.0.conv1.weight');
    wrong.set('layer1.0.bn1.weight', { shape: [65], dtype: 'float32', data: new Float32Array(65) });
    wrong.set('layer1.0.bn2.bias', { shape: [64], dtype: 'int32', data: new Int32Array(64) });
    wrong.set('head.weight', { shape: [2, 2], dtype: 'float32', data: new Float32Array(4) });
    assert.deepEqual(
      mismatchOf(() => applyStateDict(model, wrong, { architecture: 'resnet18', skipClassifier: true })),
      [
        { name: 'layer1.0.conv1.weight', expected: [64, 64, 3, 3], got: null },
        { name: 'layer1.0.bn1.weight', expected: [64], got: [65] },
        { name: 'layer1.0.bn2.bias', expected: [64], got: [64], dtype: 'int32' },
        { name: 'head.weight', expected: null, got: [2, 2] },
      ],
    );
    // a state_dict of another architecture
    assert.ok(
      mismatchOf(() => applyStateDict(model, syntheticStateDict('resnet34', 5), { architecture: 'resnet18', skipClassifier: false }))
        .length > 10,
    );
  } finally {
    disposeBuiltModel(model);
  }
});

test('smallInput and architectures without torchvision weights are refused with invalid_option, in and out', async () => {
  await initEngine();
  const small = buildModel('resnet18', { inputShape: [32, 32, 3], classes: 5, smallInput: true });
  try {
    assert.throws(
      () => applyStateDict(small, syntheticStateDict('resnet18', 5), { architecture: 'resnet18', skipClassifier: false }),
      (e: unknown) => isCnnError(e, 'invalid_option') && /smallInput/.test(e.message),
    );
  } finally {
    disposeBuiltModel(small);
  }
  for (const [name, options] of [
    ['resnet18', { inputShape: [32, 32, 3], classes: 5, smallInput: true }],
    ['resnet20', { inputShape: [32, 32, 3], classes: 5 }],
  ] as Array<[string, BuildOptions]>) {
    const model = buildModel(name, options);
    try {
      assert.throws(
        () => exportSafetensors(model, { architecture: name }),
        (e: unknown) => isCnnError(e, 'invalid_option'),
        name,
      );
      // given only the tfjs model, the layout itself gives it away
      assert.throws(
        () => exportSafetensors(model.training, { architecture: 'resnet18' }),
        (e: unknown) => isCnnError(e, 'invalid_option'),
        name,
      );
    } finally {
      disposeBuiltModel(model);
    }
  }
  const file = writeSafetensors([{ name: 'fc.weight', shape: [1], data: new Float32Array(1) }]);
  for (const name of ['resnet20', 'lenet5', 'densenet_bc_40']) {
    assert.throws(
      () => inspectWeights(file, name),
      (e: unknown) => isCnnError(e, 'invalid_option'),
      name,
    );
  }
  assert.throws(
    () => inspectWeights(file, 'resnet9000'),
    (e: unknown) => isCnnError(e, 'unknown_architecture'),
  );
});

test("inspection reports the file's classes, auxiliary heads and parameter count, drops auxiliary heads a model lacks, and lists misfits", () => {
  const withAux = syntheticStateDict('googlenet', 1000, true);
  const inspection = inspectStateDict('safetensors', withAux, 'googlenet');
  assert.deepEqual(
    { ...inspection, ignoredTensors: inspection.ignoredTensors.length },
    {
      format: 'safetensors',
      architecture: 'googlenet',
      classes: 1000,
      auxLogits: true,
      tensors: withAux.size,
      parameters: 13_004_888, // torchvision: sum(p.numel() for p in googlenet(aux_logits=True).parameters())
      ignoredTensors: 0,
    },
  );
  const plain = inspectStateDict('torch-zip', syntheticStateDict('resnet50', 7), 'resnet50');
  assert.equal(plain.classes, 7);
  assert.equal(plain.parameters, 23_522_375); // resnet50(num_classes=7)
  const densenet = syntheticStateDict('densenet121', 1000);
  densenet.delete('features.norm5.running_var');
  assert.deepEqual(
    mismatchOf(() => inspectStateDict('torch-zip', densenet, 'densenet121')),
    [{ name: 'features.norm5.running_var', expected: [1024], got: null }],
  );
});

test('an exported model loads back bit for bit (flattened classifier inputs, auxiliary heads, batch-norm statistics), its normalisation in __metadata__', async () => {
  await initEngine();
  const normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const source = buildModel('googlenet', { inputShape: [64, 64, 3], classes: 3, normalization });
  const copy = buildModel('googlenet', { inputShape: [64, 64, 3], classes: 3 });
  try {
    tf.tidy(() => {
      for (const weight of source.training.weights) {
        if (/moving_(mean|variance)$/.test(weight.originalName)) weight.write(tf.randomUniform(weight.shape as number[], 0.5, 1.5));
      }
    });
    const bytes = exportSafetensors(source, { architecture: 'googlenet', metadata: { classNames: '["a","b","c"]' }, batchesTracked: 12 });
    const read = readStateDict(bytes);
    assert.equal(read.format, 'safetensors');
    assert.deepEqual(
      JSON.parse(read.metadata.normalization).mean.map((m: number) => Math.fround(m)),
      normalization.mean.map(Math.fround),
    );
    assert.equal(read.metadata.classNames, '["a","b","c"]');
    assert.equal(read.metadata.architecture, 'googlenet');
    assert.deepEqual(read.tensors.get('conv1.bn.num_batches_tracked')!.data, BigInt64Array.of(12n));
    assert.deepEqual(
      [...read.tensors.keys()],
      torchvisionStateDict('googlenet', { classes: 3, auxLogits: true }).map((t) => t.name),
    );

    applyStateDict(copy, read.tensors, { architecture: 'googlenet', skipClassifier: false });
    const sourceWeights = new Map(source.training.weights.map((w) => [w.originalName, w]));
    for (const weight of copy.training.weights) {
      assert.deepEqual(weight.read().dataSync(), sourceWeights.get(weight.originalName)!.read().dataSync(), weight.originalName);
    }
    // the copy has no normalisation layer: fed normalised pixels, it computes what the source computes
    const [x, normalized] = tf.tidy(() => {
      const pixels = tf.randomUniform([2, 64, 64, 3]);
      return [pixels, pixels.sub(tf.tensor1d(normalization.mean)).div(tf.tensor1d(normalization.std))];
    });
    const ours = (source.inference.predict(x) as tf.Tensor).dataSync();
    const theirs = (copy.inference.predict(normalized) as tf.Tensor).dataSync();
    ours.forEach((p, i) => assert.ok(Math.abs(p - theirs[i]) < 1e-5, `probability ${i}: ${p} vs ${theirs[i]}`));
    tf.dispose([x, normalized]);
  } finally {
    disposeBuiltModel(source);
    disposeBuiltModel(copy);
  }
});
