/**
 * The layer vocabulary keeps PyTorch's semantics: each helper is compared with a direct, loop-by-loop
 * implementation of what PyTorch computes (window positions, padding, ceil_mode, count_include_pad,
 * adaptive pooling windows). Then the in-model normalisation, and the promise that built models use
 * only built-in layer classes: their inference models survive a save and tf.loadLayersModel.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { initEngine } from '../src/engine/index.js';
import { TORCH_DEFAULT } from '../src/models/init.js';
import { adaptiveAvgPool2d, avgPool2d, buildSession, conv2d, maxPool2d, type Tensor } from '../src/models/layers.js';
import { buildModel, disposeBuiltModel, NORMALIZATION_LAYER } from '../src/models/index.js';
import type { BuildOptions, InputShape } from '../src/types.js';

before(async () => {
  await initEngine();
  seedrandom('models-layers', { global: true });
});

/** A one-input model around a helper, built the way the builders build. */
function graph(inputShape: InputShape, body: (x: Tensor) => Tensor): tf.LayersModel {
  return buildSession(false, () => {
    const input = tf.input({ shape: inputShape });
    return tf.model({ inputs: input, outputs: body(input) });
  });
}

/** A [height][width][channels] array of one image. */
type Image = number[][][];

function run(model: tf.LayersModel, image: Image): Image {
  return tf.tidy(() => (model.predict(tf.tensor4d([image])) as tf.Tensor).arraySync() as Image[])[0];
}

function randomImage(height: number, width: number, channels: number): Image {
  return Array.from({ length: height }, () => Array.from({ length: width }, () => Array.from({ length: channels }, () => Math.random())));
}

function assertClose(actual: Image, expected: Image, message: string): void {
  assert.deepEqual(
    [actual.length, actual[0].length, actual[0][0].length],
    [expected.length, expected[0].length, expected[0][0].length],
    `${message}: shape`,
  );
  actual.flat(2).forEach((value, i) => assert.ok(Math.abs(value - expected.flat(2)[i]) < 1e-5, `${message}: value ${i}`));
}

/** PyTorch's pooling output length (aten/src/ATen/native/Pool.h, pooling_output_shape). */
function torchPoolLength(n: number, kernel: number, stride: number, padding: number, ceilMode: boolean): number {
  let out = Math.floor((n + 2 * padding - kernel + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= n + padding) out -= 1;
  return out;
}

/** Every window of a PyTorch pooling, as [first, last) input indices clipped to the input. */
function torchWindows(n: number, kernel: number, stride: number, padding: number, ceilMode: boolean): Array<[number, number]> {
  return Array.from({ length: torchPoolLength(n, kernel, stride, padding, ceilMode) }, (_, i) => {
    const start = i * stride - padding;
    return [Math.max(0, start), Math.min(n, start + kernel)];
  });
}

function pool(image: Image, rows: Array<[number, number]>, cols: Array<[number, number]>, reduce: (values: number[]) => number): Image {
  const channels = image[0][0].length;
  return rows.map(([r0, r1]) =>
    cols.map(([c0, c1]) =>
      Array.from({ length: channels }, (_, c) => {
        const values: number[] = [];
        for (let r = r0; r < r1; r++) for (let col = c0; col < c1; col++) values.push(image[r][col][c]);
        return reduce(values);
      }),
    ),
  );
}

test("maxPool2d takes PyTorch's windows: padding, stride and ceil_mode, any size", () => {
  const cases = [
    { kernel: 3, stride: 2, padding: 1, ceilMode: false }, // ResNet and DenseNet stems
    { kernel: 3, stride: 2, padding: 0, ceilMode: true }, // GoogLeNet
    { kernel: 2, stride: 2, padding: 0, ceilMode: true }, // GoogLeNet maxpool4
    { kernel: 3, stride: 1, padding: 1, ceilMode: true }, // GoogLeNet inception branch 4
    { kernel: 3, stride: 2, padding: 0, ceilMode: false }, // AlexNet, Inception v3
  ];
  for (const spec of cases) {
    for (const [height, width] of [
      [7, 7],
      [8, 8],
      [2, 5],
      [13, 6],
    ]) {
      if (torchPoolLength(Math.min(height, width), spec.kernel, spec.stride, spec.padding, spec.ceilMode) < 1) continue;
      const image = randomImage(height, width, 2);
      const model = graph([height, width, 2], (x) => maxPool2d(x, 'pool', spec));
      const expected = pool(
        image,
        torchWindows(height, spec.kernel, spec.stride, spec.padding, spec.ceilMode),
        torchWindows(width, spec.kernel, spec.stride, spec.padding, spec.ceilMode),
        (values) => Math.max(...values),
      );
      assertClose(run(model, image), expected, `${JSON.stringify(spec)} at ${height}x${width}`);
      model.dispose();
    }
  }
});

test("avgPool2d counts padded zeros, as PyTorch's default count_include_pad", () => {
  const cases = [
    { kernel: 3, stride: 1, padding: 1 }, // Inception v3 pooling branches
    { kernel: 5, stride: 3, padding: 0 }, // Inception v3 auxiliary head
    { kernel: 2, stride: 2, padding: 0 }, // DenseNet transitions
  ];
  for (const spec of cases) {
    for (const [height, width] of [
      [5, 5],
      [8, 11],
      [17, 17],
    ]) {
      const image = randomImage(height, width, 3);
      const model = graph([height, width, 3], (x) => avgPool2d(x, 'pool', spec));
      const divisor = spec.kernel * spec.kernel;
      const expected = pool(
        image,
        torchWindows(height, spec.kernel, spec.stride, spec.padding, false),
        torchWindows(width, spec.kernel, spec.stride, spec.padding, false),
        (values) => values.reduce((a, b) => a + b, 0) / divisor,
      );
      assertClose(run(model, image), expected, `${JSON.stringify(spec)} at ${height}x${width}`);
      model.dispose();
    }
  }
});

/** nn.AdaptiveAvgPool2d's windows: cell i averages floor(i*n/out) .. ceil((i+1)*n/out) - 1. */
function adaptiveWindows(n: number, out: number): Array<[number, number]> {
  return Array.from({ length: out }, (_, i) => [Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)]);
}

test("adaptiveAvgPool2d averages PyTorch's adaptive windows, whatever the two sizes", () => {
  // Identity, divisible, upsampling (1 -> 7, 2 -> 6), uneven windows (14 -> 4, 5 -> 3, 3 -> 7), mixed axes.
  const cases: Array<[number, number, number, number]> = [
    [7, 7, 7, 7],
    [14, 14, 7, 7],
    [1, 1, 7, 7],
    [2, 2, 6, 6],
    [14, 14, 4, 4],
    [5, 5, 3, 3],
    [3, 3, 7, 7],
    [4, 9, 6, 6],
  ];
  for (const [height, width, rows, cols] of cases) {
    const image = randomImage(height, width, 2);
    const model = graph([height, width, 2], (x) => adaptiveAvgPool2d(x, 'avgpool', [rows, cols]));
    const expected = pool(
      image,
      adaptiveWindows(height, rows),
      adaptiveWindows(width, cols),
      (v) => v.reduce((a, b) => a + b, 0) / v.length,
    );
    assertClose(run(model, image), expected, `${height}x${width} -> ${rows}x${cols}`);
    model.dispose();
  }
});

test('a strided padded conv2d pads both sides as PyTorch (not tfjs\'s bottom-right "same")', () => {
  for (const [side, kernel, stride, padding] of [
    [8, 3, 2, 1],
    [9, 3, 2, 1],
    [10, 7, 2, 3],
    [6, 3, 1, 1],
  ]) {
    const image = randomImage(side, side, 1);
    const model = graph([side, side, 1], (x) =>
      conv2d(x, 'conv', { filters: 1, kernel, stride, padding, bias: false, init: TORCH_DEFAULT }),
    );
    // An all-ones kernel turns the convolution into a window sum, easy to state.
    tf.tidy(() => model.getLayer('conv').setWeights([tf.ones([kernel, kernel, 1, 1])]));
    const windows = torchWindows(side, kernel, stride, padding, false);
    const expected = pool(image, windows, windows, (values) => values.reduce((a, b) => a + b, 0));
    assertClose(run(model, image), expected, `k${kernel} s${stride} p${padding} at ${side}`);
    model.dispose();
  }
});

/** Copies every weight of `from` into the layer of the same name in `to`. */
function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  for (const layer of from.layers) {
    if (layer.weights.length > 0 && layer.name !== NORMALIZATION_LAYER) to.getLayer(layer.name).setWeights(layer.getWeights());
  }
}

test('normalisation inside the model is (x - mean) / std per channel, in training and in inference', () => {
  const normalization = { mean: [0.1, 0.5, 0.9], std: [0.5, 0.25, 2] };
  const options: BuildOptions = { inputShape: [12, 12, 3], classes: 4 };
  const normalized = buildModel('resnet20', { ...options, normalization });
  const plain = buildModel('resnet20', options);
  try {
    copyWeights(normalized.training, plain.training);
    tf.tidy(() => {
      const x = tf.randomUniform([3, 12, 12, 3]);
      const xNormalized = x.sub(tf.tensor1d(normalization.mean)).div(tf.tensor1d(normalization.std));
      const gap = (a: tf.Tensor, b: tf.Tensor) => a.sub(b).abs().max().dataSync()[0];
      assert.ok(gap(normalized.inference.predict(x) as tf.Tensor, plain.inference.predict(xNormalized) as tf.Tensor) < 1e-5);
      const trainingMode = (model: tf.LayersModel, input: tf.Tensor) => model.apply(input, { training: true }) as tf.Tensor;
      assert.ok(gap(trainingMode(normalized.training, x), trainingMode(plain.training, xNormalized)) < 1e-4);
    });
    const layer = normalized.training.getLayer(NORMALIZATION_LAYER);
    assert.equal(normalized.training.layers[1], layer, 'the first layer after the input');
    assert.equal(layer.trainable, false);
    const trainable = new Set(normalized.training.trainableWeights.map((w) => w.originalName));
    assert.ok(layer.weights.every((w) => !trainable.has(w.originalName)));
  } finally {
    disposeBuiltModel(normalized);
    disposeBuiltModel(plain);
  }
});

const BUILT_IN_CLASSES = new Set([
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'BatchNormalization',
  'Activation',
  'ZeroPadding2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Cropping2D',
  'UpSampling2D',
  'Concatenate',
  'Add',
  'Dense',
  'Dropout',
  'Flatten',
]);

async function saveAndLoad(model: tf.LayersModel): Promise<{ loaded: tf.LayersModel; classes: string[] }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const topology = artifacts!.modelTopology as { config: { layers: Array<{ class_name: string }> } };
  const classes = topology.config.layers.map((layer) => layer.class_name);
  return { loaded: await tf.loadLayersModel(tf.io.fromMemory(artifacts!)), classes };
}

test('inference models use built-in layer classes only and predict the same after save and load', async () => {
  const cases: Array<[string, BuildOptions]> = [
    ['lenet5', { inputShape: [28, 28, 1], classes: 10, normalization: { mean: [0.28], std: [0.35] } }],
    ['googlenet', { inputShape: [47, 47, 3], classes: 5 }],
    ['resnet18', { inputShape: [16, 16, 3], classes: 5, smallInput: true }],
    ['densenet_bc_40', { inputShape: [16, 16, 3], classes: 5 }],
  ];
  for (const [name, options] of cases) {
    const built = buildModel(name, options);
    const { loaded, classes } = await saveAndLoad(built.inference);
    try {
      for (const className of classes) assert.ok(BUILT_IN_CLASSES.has(className), `${name}: ${className}`);
      assert.ok(!loaded.layers.some((layer) => layer.name.startsWith('aux')), `${name}: auxiliary head exported`);
      tf.tidy(() => {
        const x = tf.randomUniform([2, ...options.inputShape]);
        const gap = (loaded.predict(x) as tf.Tensor)
          .sub(built.inference.predict(x) as tf.Tensor)
          .abs()
          .max()
          .dataSync()[0];
        assert.ok(gap < 1e-6, `${name}: predictions differ by ${gap}`);
      });
    } finally {
      loaded.dispose();
      disposeBuiltModel(built);
    }
  }
});

test('the adaptive pooling layers (crops, upsampling) survive a save and load too', async () => {
  const model = graph([5, 2, 3], (x) => adaptiveAvgPool2d(x, 'avgpool', [3, 6]));
  const { loaded, classes } = await saveAndLoad(model);
  assert.ok(classes.includes('Cropping2D') && classes.includes('UpSampling2D'));
  const image = randomImage(5, 2, 3);
  assertClose(run(loaded, image), run(model, image), 'reloaded');
  loaded.dispose();
  model.dispose();
});
