/**
 * The catalog: names, option checks with their error codes, minimum input sizes (computed, checked
 * against torchvision and against the layers themselves), deterministic layer names, the shape of a
 * BuiltModel, and the promise that `@trainyard/cnn/catalog` loads without tfjs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { isCnnError } from '../src/errors.js';
import { assembleModel } from '../src/models/build.js';
import { getVariant, validateBuildOptions } from '../src/models/catalog-info.js';
import {
  architectureNames,
  buildModel,
  checkInputShape,
  disposeBuiltModel,
  getArchitecture,
  listArchitectures,
  minInputSize,
  PROBABILITIES_LAYER,
} from '../src/models/index.js';
import type { BuildOptions, BuiltModel } from '../src/types.js';

before(async () => {
  await tf.setBackend('cpu');
});

function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isCnnError(error), `expected a CnnError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

test('the catalog lists every required variant once, in families', () => {
  const names = architectureNames();
  const required = [
    'lenet5',
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
    'resnet20',
    'resnet32',
    'resnet44',
    'resnet56',
    'resnet110',
    'densenet121',
    'densenet161',
    'densenet169',
    'densenet201',
    'densenet_bc_100',
  ];
  for (const name of required) assert.ok(names.includes(name), `${name} missing`);
  assert.equal(new Set(names).size, names.length);
  for (const info of listArchitectures()) {
    assert.deepEqual(getArchitecture(info.name), info);
    assert.ok(info.description.length > 20);
    const cifar = info.nativeInputShape[0] === 32;
    assert.equal(info.defaultClasses, cifar ? 10 : 1000);
  }
  assert.deepEqual(getArchitecture('inception_v3').nativeInputShape, [299, 299, 3]);
  assert.deepEqual(getArchitecture('lenet5').nativeInputShape, [32, 32, 3]);
});

test('unknown architectures are refused with the known names', () => {
  throwsCode(() => getArchitecture('resnet51'), 'unknown_architecture', /resnet51.*resnet50/s);
  throwsCode(() => buildModel('nope', { inputShape: [32, 32, 3], classes: 10 }), 'unknown_architecture', /lenet5/);
  throwsCode(() => minInputSize('toString'), 'unknown_architecture');
  throwsCode(() => checkInputShape('__proto__', [32, 32, 3]), 'unknown_architecture');
});

test('bad options are refused before any layer exists, with invalid_option', () => {
  const tensors = tf.memory().numTensors;
  const bad: Array<[string, unknown, RegExp]> = [
    ['lenet5', { inputShape: [28, 28, 1], classes: 1 }, /classes/],
    ['lenet5', { inputShape: [28, 28, 1], classes: 2.5 }, /classes/],
    ['lenet5', { inputShape: [28, 28, 1] }, /classes/],
    ['lenet5', { inputShape: [28, 28], classes: 10 }, /inputShape/],
    ['lenet5', { inputShape: [28, 0, 1], classes: 10 }, /inputShape/],
    ['lenet5', { inputShape: [28, 28, 1.5], classes: 10 }, /inputShape/],
    ['lenet5', { inputShape: '28,28,1', classes: 10 }, /inputShape/],
    ['lenet5', { inputShape: [28, 28, 1], classes: 10, dropout: 0.5 }, /lenet5 has no 'dropout'/],
    ['resnet20', { inputShape: [32, 32, 3], classes: 10, smallInput: true }, /no 'smallInput'/],
    ['resnet50', { inputShape: [32, 32, 3], classes: 10, auxLogits: true }, /no 'auxLogits'.*smallInput/],
    ['vgg16', { inputShape: [32, 32, 3], classes: 10, dropout: 1 }, /dropout/],
    ['vgg16', { inputShape: [32, 32, 3], classes: 10, dropout: -0.1 }, /dropout/],
    ['vgg16', { inputShape: [32, 32, 3], classes: 10, dropout: Number.NaN }, /dropout/],
    ['googlenet', { inputShape: [32, 32, 3], classes: 10, auxLogits: 'yes' }, /auxLogits/],
    ['googlenet', { inputShape: [32, 32, 3], classes: 10, pretrained: true }, /unknown build option.*pretrained/],
    ['lenet5', { inputShape: [28, 28, 1], classes: 10, normalization: { mean: [0.5, 0.5], std: [1, 1] } }, /1 finite/],
    ['lenet5', { inputShape: [28, 28, 1], classes: 10, normalization: { mean: [0.5], std: [0] } }, /greater than 0/],
    ['lenet5', { inputShape: [28, 28, 1], classes: 10, normalization: { mean: [0.5] } }, /std/],
    ['lenet5', null, /object/],
  ];
  for (const [name, options, message] of bad) {
    throwsCode(() => buildModel(name, options as BuildOptions), 'invalid_option', message);
  }
  assert.equal(tf.memory().numTensors, tensors);
});

test('an option a variant lacks is accepted at its neutral value', () => {
  const resolved = validateBuildOptions('lenet5', {
    inputShape: [28, 28, 1],
    classes: 10,
    dropout: 0,
    auxLogits: false,
    smallInput: false,
  });
  assert.equal(resolved.dropout, 0);
});

test("defaults are torchvision's and are reported with the built model", () => {
  const defaults = (name: string) => validateBuildOptions(name, { inputShape: getArchitecture(name).nativeInputShape, classes: 10 });
  assert.equal(defaults('alexnet').dropout, 0.5);
  assert.equal(defaults('vgg19_bn').dropout, 0.5);
  assert.equal(defaults('googlenet').dropout, 0.2);
  assert.equal(defaults('googlenet').auxLogits, true);
  assert.equal(defaults('inception_v3').dropout, 0.5);
  assert.equal(defaults('inception_v3').auxLogits, true);
  assert.equal(defaults('densenet121').dropout, 0);
  assert.equal(defaults('resnet50').smallInput, false);
  const built = buildModel('densenet_bc_40', { inputShape: [32, 32, 3], classes: 10 });
  try {
    assert.deepEqual(built.options, { inputShape: [32, 32, 3], classes: 10, dropout: 0 });
  } finally {
    disposeBuiltModel(built);
  }
});

test('too small an input fails with input_too_small naming the architecture, the size and the minimum', () => {
  throwsCode(() => buildModel('alexnet', { inputShape: [28, 28, 1], classes: 10 }), 'input_too_small', /alexnet.*63x63.*28x28/);
  throwsCode(() => checkInputShape('alexnet', [63, 62, 3]), 'input_too_small', /63x62/);
  throwsCode(() => checkInputShape('lenet5', [15, 28, 1]), 'input_too_small', /lenet5.*16x16/);
  try {
    checkInputShape('inception_v3', [150, 150, 3]);
    assert.fail('accepted');
  } catch (error) {
    assert.ok(isCnnError(error, 'input_too_small'));
    assert.match(error.message, /inception_v3 needs inputs of at least 299x299, got 150x150 \(it accepts 75x75 with auxLogits: false\)/);
    assert.deepEqual(error.details, { architecture: 'inception_v3', inputShape: [150, 150, 3], minInputSize: 299 });
  }
  throwsCode(() => checkInputShape('densenet121', [16, 16, 3]), 'input_too_small', /29x29.*8x8 with smallInput: true/);
  checkInputShape('densenet121', [16, 16, 3], { smallInput: true });
  checkInputShape('inception_v3', [75, 75, 3], { auxLogits: false });
  throwsCode(() => checkInputShape('lenet5', [28, 28] as never), 'invalid_option');
});

/**
 * What torchvision 0.14 itself accepts, found by running its models on ever larger zero inputs
 * (batch 2, eval mode; train mode for the auxiliary heads) until the forward pass stopped raising:
 *   python3 -c "import torch, torchvision.models as m; g = m.googlenet(init_weights=False).eval(); ..."
 * LeNet-5 and the CIFAR layouts have no torchvision definition; their minimum follows from the same
 * arithmetic and is held to the layers by the next test.
 */
const TORCHVISION_MINIMUM: Array<[string, BuildOptions['auxLogits'], number]> = [
  ['alexnet', undefined, 63],
  ['vgg11', undefined, 32],
  ['vgg19_bn', undefined, 32],
  ['googlenet', true, 15],
  ['googlenet', false, 15],
  ['inception_v3', true, 299],
  ['inception_v3', false, 75],
  ['resnet18', undefined, 1],
  ['resnet152', undefined, 1],
  ['densenet121', undefined, 29],
  ['densenet201', undefined, 29],
];

test('minimum input sizes equal the smallest inputs torchvision accepts', () => {
  for (const [name, auxLogits, expected] of TORCHVISION_MINIMUM) {
    assert.equal(minInputSize(name, { auxLogits }), expected, name);
  }
  assert.equal(getArchitecture('inception_v3').minInputSize, 299);
  assert.equal(getArchitecture('lenet5').minInputSize, 16);
  assert.equal(minInputSize('densenet121', { smallInput: true }), 8);
  assert.equal(minInputSize('densenet_bc_100'), 4);
});

/** Every combination of the options that change the accepted sizes. */
function sizeVariants(name: string): BuildOptions[] {
  const info = getArchitecture(name);
  const smallInput = info.options.includes('smallInput') ? [false, true] : [undefined];
  const auxLogits = info.options.includes('auxLogits') ? [false, true] : [undefined];
  return smallInput.flatMap((s) =>
    auxLogits.map((a) => ({ inputShape: [0, 0, 3], classes: 3, smallInput: s, auxLogits: a }) as BuildOptions),
  );
}

test('the layers agree with the size arithmetic: every variant builds at its minimum and not one pixel below', () => {
  const tensors = tf.memory().numTensors;
  for (const name of architectureNames()) {
    for (const options of sizeVariants(name)) {
      const min = minInputSize(name, options);
      const at = (side: number): BuiltModel =>
        assembleModel(getVariant(name), validateBuildOptions(name, { ...options, inputShape: [side, side, 3] }), true);
      const built = at(min);
      try {
        for (const output of built.training.outputs) assert.deepEqual(output.shape, [null, 3], name);
      } finally {
        disposeBuiltModel(built);
      }
      if (min > 1) {
        // Skip the catalog's own check to see what the layers themselves do one pixel below.
        const resolved = {
          ...validateBuildOptions(name, { ...options, inputShape: [min, min, 3] }),
          inputShape: [min - 1, min - 1, 3] as [number, number, number],
        };
        assert.throws(
          () => assembleModel(getVariant(name), resolved, true),
          /empty output/,
          `${name} ${JSON.stringify(options)} at ${min - 1}`,
        );
      }
    }
  }
  assert.equal(tf.memory().numTensors, tensors, 'a failed build leaked weights');
});

test('training outputs all heads, inference only the main one behind a softmax, over shared layers', () => {
  const cases: Array<[string, BuildOptions, number]> = [
    ['googlenet', { inputShape: [15, 15, 3], classes: 4 }, 2],
    ['googlenet', { inputShape: [15, 15, 3], classes: 4, auxLogits: false }, 0],
    ['resnet20', { inputShape: [16, 16, 1], classes: 4 }, 0],
  ];
  for (const [name, options, aux] of cases) {
    const built = buildModel(name, options);
    try {
      assert.equal(built.auxOutputs, aux);
      assert.equal(built.training.outputs.length, 1 + aux);
      assert.equal(built.inference.outputs.length, 1);
      const last = built.inference.layers[built.inference.layers.length - 1];
      assert.equal(last.name, PROBABILITIES_LAYER);
      assert.equal(last.getConfig().activation, 'softmax');
      const trainingLayers = new Set(built.training.layers);
      for (const layer of built.inference.layers) {
        if (layer !== last) assert.ok(trainingLayers.has(layer), `${layer.name} is not shared`);
      }
      assert.ok(!built.inference.layers.some((layer) => layer.name.startsWith('aux')), 'an auxiliary head in inference');
      const x = tf.randomUniform([2, ...options.inputShape]);
      const probabilities = built.inference.predict(x) as tf.Tensor;
      const logits = built.training.predict(x) as tf.Tensor | tf.Tensor[];
      const main = Array.isArray(logits) ? logits[0] : logits;
      assert.ok(tf.tidy(() => tf.softmax(main).sub(probabilities).abs().max().dataSync()[0]) < 1e-6);
      tf.dispose([x, probabilities, logits]);
    } finally {
      disposeBuiltModel(built);
    }
  }
});

test("layer and weight names are torchvision's module paths, the same in every build", () => {
  const names = (model: BuiltModel) => model.training.weights.map((weight) => weight.originalName);
  const first = buildModel('resnet18', { inputShape: [32, 32, 3], classes: 10 });
  const second = buildModel('resnet18', { inputShape: [32, 32, 3], classes: 10 });
  try {
    assert.deepEqual(names(first), names(second));
    assert.equal(new Set(names(first)).size, names(first).length);
    for (const expected of [
      'conv1/kernel',
      'bn1/gamma',
      'layer2.0.conv1/kernel',
      'layer2.0.downsample.0/kernel',
      'layer4.1.bn2/moving_variance',
      'fc/bias',
    ]) {
      assert.ok(names(first).includes(expected), expected);
    }
  } finally {
    disposeBuiltModel(first);
    disposeBuiltModel(second);
  }
  const googlenet = buildModel('googlenet', { inputShape: [15, 15, 3], classes: 10 });
  try {
    const layers = googlenet.training.layers.map((layer) => layer.name);
    for (const expected of ['conv1.conv', 'inception3a.branch3.1.conv', 'inception4e.branch4.0', 'aux1.fc2', 'aux2.conv.bn', 'fc']) {
      assert.ok(layers.includes(expected), expected);
    }
  } finally {
    disposeBuiltModel(googlenet);
  }
});

test('@trainyard/cnn/catalog loads and validates without ever importing tfjs', () => {
  // A resolve hook that fails the import of any @tensorflow package, then the subpath the API uses.
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier.startsWith('@tensorflow/')) throw new Error('tfjs imported: ' + specifier);
    return next(specifier, context);
  }`;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
    const catalog = await import('@trainyard/cnn/catalog');
    const names = catalog.listArchitectures().map((info) => info.name);
    let code = null;
    try { catalog.checkInputShape('alexnet', [28, 28, 3]); } catch (error) { code = error.code; }
    const resolved = catalog.validateBuildOptions('googlenet', { inputShape: [224, 224, 3], classes: 10 });
    const bytes = catalog.estimateTrainingBytes({ architecture: 'resnet20', inputShape: [32, 32, 3], batchSize: 8, optimizer: 'sgd' });
    console.log(JSON.stringify({ names: names.length, code, aux: resolved.auxLogits, min: catalog.minInputSize('vgg16'), estimated: bytes > 0 }));
  `;
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), {
    names: architectureNames().length,
    code: 'input_too_small',
    aux: true,
    min: 32,
    estimated: true,
  });
});

test('the tfjs-free hook really catches a tfjs import', () => {
  const hook = `export async function resolve(s, c, n) { if (s.startsWith('@tensorflow/')) throw new Error('tfjs imported: ' + s); return n(s, c); }`;
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
    await import('@trainyard/cnn');
  `;
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.notEqual(child.status, 0);
  assert.match(child.stderr, /tfjs imported/);
});
