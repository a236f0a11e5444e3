/**
 * The webgpu engine (tfjs-backend-webgpu on Dawn) on whatever adapter this machine has; in CI that is
 * Mesa's llvmpipe, a software Vulkan driver, so the GPU code path runs on every CI run. Forced with
 * { engine: 'webgpu' }, since a software adapter is never picked automatically.
 *
 * - every kernel the zoo's families use, forward and backward, against tfjs's cpu backend (the
 *   reference implementation): each family's graph runs on both from the same weights and inputs;
 * - LeNet-5 and ResNet-20 take training steps and the loss falls;
 * - a run stopped after its first epoch resumes from its checkpoint to the same model;
 * - the exported model loads in a Node process that has only plain @tensorflow/tfjs.
 *
 * WebGPU cannot read tensors back synchronously in Node: everything here reads with `await data()`.
 * Shapes are small: llvmpipe compiles every shader on the CPU and runs LeNet-5 at ~100 images/s.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/index.js';
import type { EngineInfo } from '../src/engine/engine-info.js';
import { isCnnError } from '../src/errors.js';
import { buildModel, disposeBuiltModel } from '../src/models/index.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { createOptimizer, disposeOptimizer } from '../src/train/optimizer.js';
import { seedGlobalRandom } from '../src/train/random.js';
import { runTraining } from '../src/train/run.js';
import { trainableVariables, trainStep } from '../src/train/train-step.js';
import type { BuildOptions, Dataset, InputShape, TrainingRunResult } from '../src/types.js';
import { MemoryCheckpointStore, quadrantSplit, range } from './train-fixtures.js';
import { randomValues } from './random-values.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The forced webgpu engine, or why it cannot run here; in CI it must (CI installs bookworm-backports' Mesa). */
const loaded: { engine: EngineInfo; unavailable: false } | { engine: null; unavailable: string } = await initEngine({
  engine: 'webgpu',
}).then(
  (engine) => ({ engine, unavailable: false as const }),
  (error: unknown) => {
    if (!isCnnError(error, 'engine_unavailable')) throw error;
    if (process.env.CI === 'true')
      assert.fail(`the webgpu engine must load in CI (install bookworm-backports' mesa-vulkan-drivers): ${error.message}`);
    return { engine: null, unavailable: error.message };
  },
);
const unavailable = loaded.unavailable;

test('the forced webgpu engine names its adapter as its device', { skip: unavailable }, () => {
  const engine = loaded.engine!;
  assert.equal(engine.name, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.ok(engine.device.name.length > 0);
  // CI's adapter is Mesa's software rasteriser: named, and counted as the CPU it runs on.
  if (/llvmpipe/.test(engine.device.name)) assert.equal(engine.device.kind, 'cpu');
});

type Values = Float32Array | Int32Array | Uint8Array;
type Output = { what: string; shape: number[]; values: Values };

interface KernelCase {
  what: string;
  /** Input shapes; each input gets its own seeded random values. */
  inputs: number[][];
  /** A tensor computed from the inputs; its gradient (against a random upstream) is compared too. */
  compute: (...inputs: tf.Tensor[]) => tf.Tensor;
  /** Compare the gradients with respect to every input (false for integer-like outputs). */
  gradients?: boolean;
}

/**
 * `compute` on `backend`, then the gradient of sum(compute(...) * upstream) with respect to every
 * input; all read back asynchronously, with the kernels dispatched. Everything is freed.
 */
async function runCase(backend: 'cpu' | 'webgpu', kase: KernelCase): Promise<{ outputs: Output[]; kernels: string[] }> {
  await tf.setBackend(backend);
  const inputs = kase.inputs.map((shape, i) =>
    tf.tensor(
      randomValues(
        shape.reduce((a, b) => a * b, 1),
        17 + i,
      ),
      shape,
    ),
  );
  let results: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    const output = kase.compute(...inputs);
    results = [output];
    if (kase.gradients !== false) {
      const upstream = tf.tensor(randomValues(output.size, 99), output.shape);
      const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(kase.compute(...xs), upstream)))(inputs);
      results.push(...grads);
      upstream.dispose();
    }
  });
  const outputs: Output[] = [];
  for (const [i, t] of results.entries()) {
    outputs.push({ what: i === 0 ? 'output' : `gradient ${i - 1}`, shape: t.shape.slice(), values: (await t.data()) as Values });
  }
  tf.dispose([...inputs, ...results]);
  return { outputs, kernels: profile.kernelNames };
}

/**
 * |webgpu - cpu| <= 1e-3 x the output's largest magnitude + 1e-4 x the element's own: float32 sums in
 * another order (GPU reductions are trees) differ in the last bits; a wrong kernel is off by far more.
 */
function assertClose(label: string, actual: Output, expected: Output): void {
  assert.deepEqual(actual.shape, expected.shape, `${label} ${expected.what}: shape`);
  let scale = 0;
  for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.values.length; i++) {
    const a = actual.values[i];
    const e = expected.values[i];
    if (!(Math.abs(a - e) <= 1e-3 * Math.max(scale, 1e-3) + 1e-4 * Math.abs(e))) {
      assert.fail(`${label} ${expected.what}[${i}] is ${a} on webgpu, ${e} on cpu (largest ${scale})`);
    }
  }
}

const conv = (strides: number, pad: 'same' | 'valid') => (x: tf.Tensor, w: tf.Tensor) =>
  tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides, pad);
const bnTraining = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
};

/**
 * The layers the catalog builds, as the kernels they dispatch forward and backward: every
 * convolution geometry of the zoo (LeNet's 5x5 valid, AlexNet's 11x11 stride 4, ResNet's 7x7 stride 2
 * stem, 3x3 stride 1 and 2, 1x1 projections, Inception's 1x7 and 7x1), max and average pooling of each
 * window used, global pooling, batch norm with batch statistics, ReLU, residual additions,
 * concatenation (Inception, DenseNet), dense layers, dropout masks and the softmax cross-entropy loss.
 */
const KERNEL_CASES: KernelCase[] = [
  {
    what: 'conv 5x5 valid',
    inputs: [
      [2, 12, 12, 3],
      [5, 5, 3, 4],
    ],
    compute: conv(1, 'valid'),
  },
  {
    what: 'conv 3x3 same',
    inputs: [
      [2, 8, 8, 4],
      [3, 3, 4, 6],
    ],
    compute: conv(1, 'same'),
  },
  {
    what: 'conv 3x3 stride 2 same',
    inputs: [
      [2, 9, 9, 4],
      [3, 3, 4, 6],
    ],
    compute: conv(2, 'same'),
  },
  {
    what: 'conv 1x1 stride 2',
    inputs: [
      [2, 8, 8, 4],
      [1, 1, 4, 8],
    ],
    compute: conv(2, 'same'),
  },
  {
    what: 'conv 7x7 stride 2 same',
    inputs: [
      [1, 16, 16, 3],
      [7, 7, 3, 4],
    ],
    compute: conv(2, 'same'),
  },
  {
    what: 'conv 11x11 stride 4 valid',
    inputs: [
      [1, 23, 23, 3],
      [11, 11, 3, 4],
    ],
    compute: conv(4, 'valid'),
  },
  {
    what: 'conv 1x7 and 7x1 same',
    inputs: [
      [1, 9, 9, 3],
      [1, 7, 3, 4],
      [7, 1, 4, 4],
    ],
    compute: (x, a, b) => tf.conv2d(tf.conv2d(x as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'), b as tf.Tensor4D, 1, 'same'),
  },
  {
    what: 'conv with bias and relu (fused)',
    inputs: [[2, 6, 6, 3], [3, 3, 3, 4], [4]],
    compute: (x, w, b) =>
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }),
  },
  { what: 'max pool 2x2 stride 2', inputs: [[2, 8, 8, 3]], compute: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') },
  { what: 'max pool 3x3 stride 2 valid', inputs: [[2, 9, 9, 3]], compute: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'valid') },
  { what: 'max pool 3x3 stride 2 same', inputs: [[2, 8, 8, 3]], compute: (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same') },
  { what: 'max pool 3x3 stride 1 same', inputs: [[2, 6, 6, 3]], compute: (x) => tf.maxPool(x as tf.Tensor4D, 3, 1, 'same') },
  { what: 'average pool 2x2 stride 2', inputs: [[2, 8, 8, 3]], compute: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid') },
  { what: 'average pool 3x3 stride 1 same', inputs: [[2, 6, 6, 3]], compute: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same') },
  { what: 'global average pooling', inputs: [[2, 4, 4, 5]], compute: (x) => tf.mean(x, [1, 2]) },
  { what: 'batch norm with batch statistics', inputs: [[4, 4, 4, 3], [3], [3]], compute: bnTraining },
  {
    what: 'batch norm with moving statistics',
    inputs: [[2, 4, 4, 3], [3], [3], [3], [3]],
    compute: (x, m, v, g, b) => tf.batchNorm(x, m, tf.add(tf.abs(v), 0.5), b, g, 1e-3),
  },
  {
    what: 'relu and residual addition',
    inputs: [
      [2, 4, 4, 3],
      [2, 4, 4, 3],
    ],
    compute: (a, b) => tf.relu(tf.add(a, b)),
  },
  {
    what: 'zero padding (explicit pads, pooling)',
    inputs: [[2, 4, 4, 3]],
    compute: (x) =>
      tf.add(
        tf.pad(x, [
          [0, 0],
          [1, 2],
          [2, 1],
          [0, 0],
        ]),
        tf.zerosLike(
          tf.pad(x, [
            [0, 0],
            [1, 2],
            [2, 1],
            [0, 0],
          ]),
        ),
      ),
  },
  {
    what: 'slicing (DenseNet and Inception branches, concatenation gradients)',
    inputs: [[2, 5, 5, 6]],
    compute: (x) => tf.slice(x, [0, 1, 2, 1], [2, 3, 2, 4]),
  },
  // Adaptive average pooling of a smaller map upsamples by whole factors, one axis at a time. Batch 1:
  // tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad indexes dy with the images' batch stride, so the
  // reference itself is wrong from the second example on (webgpu and wasm get it right).
  {
    what: 'nearest-neighbour upsampling by 3 along rows',
    inputs: [[1, 2, 2, 3]],
    compute: (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 2]),
  },
  {
    what: 'nearest-neighbour upsampling of 1x1 by 7 along columns',
    inputs: [[1, 1, 1, 3]],
    compute: (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [1, 7]),
  },
  { what: 'floor', inputs: [[3, 4]], compute: (x) => tf.floor(tf.mul(x, 3)) },
  {
    what: 'concatenation on channels',
    inputs: [
      [2, 4, 4, 3],
      [2, 4, 4, 5],
    ],
    compute: (a, b) => tf.concat([a, b], 3),
  },
  {
    what: 'flatten and dense with bias',
    inputs: [[2, 3, 3, 4], [36, 7], [7]],
    compute: (x, w, b) => tf.add(tf.matMul(tf.reshape(x, [2, 36]), w), b),
  },
  {
    what: 'dense with bias and relu (fused)',
    inputs: [[3, 10], [10, 6], [6]],
    compute: (x, w, b) => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b, activation: 'relu' }),
  },
  {
    what: 'dropout mask',
    inputs: [[4, 10]],
    compute: (x) => tf.mul(x, tf.div(tf.step(tf.sub(tf.tensor(randomValues(40, 5), [4, 10]), -0.2)), 0.6)),
  },
  {
    what: 'softmax cross-entropy with label smoothing',
    inputs: [[4, 5]],
    compute: (logits) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), 5), logits, undefined, 0.1),
  },
  {
    what: 'argmax and equality (accuracy)',
    inputs: [[4, 5]],
    compute: (x) => tf.cast(tf.equal(tf.argMax(x, 1), tf.tensor1d([0, 3, 1, 4], 'int32')), 'float32'),
    gradients: false,
  },
  {
    what: 'Adam-style update arithmetic',
    inputs: [[6], [6], [6]],
    compute: (m, v, g) => tf.sub(m, tf.div(tf.mul(g, 0.01), tf.add(tf.sqrt(tf.add(tf.square(v), 1e-3)), 1e-7))),
  },
];

describe('every kernel the zoo uses, on webgpu against the cpu backend', { skip: unavailable }, () => {
  /** Kernels compared one by one below. */
  const compared = new Set<string>();

  for (const kase of KERNEL_CASES) {
    test(kase.what, async () => {
      const reference = await runCase('cpu', kase);
      const ours = await runCase('webgpu', kase);
      assert.equal(ours.outputs.length, reference.outputs.length);
      reference.outputs.forEach((expected, i) => assertClose(kase.what, ours.outputs[i], expected));
      for (const kernel of ours.kernels) compared.add(kernel);
    });
  }

  test("a training step of each CNN family dispatches only kernels compared above, all webgpu's own", async () => {
    await tf.setBackend('webgpu');
    const families: Array<{ architecture: string; options: BuildOptions }> = [
      { architecture: 'lenet5', options: { inputShape: [16, 16, 1], classes: 4 } },
      { architecture: 'resnet20', options: { inputShape: [8, 8, 3], classes: 4 } },
      { architecture: 'densenet_bc_40', options: { inputShape: [8, 8, 3], classes: 4 } },
      { architecture: 'googlenet', options: { inputShape: [15, 15, 3], classes: 4, auxLogits: true } },
    ];
    const uncompared = new Set<string>();
    for (const { architecture, options } of families) {
      seedGlobalRandom(architecture);
      const built = buildModel(architecture, options);
      const config = resolveTrainConfig({ epochs: 1, batchSize: 2, labelSmoothing: 0.1 });
      const optimizer = createOptimizer(config);
      const x = tf.tensor4d(randomValues(2 * options.inputShape.reduce((a, b) => a * b, 1), 3), [2, ...options.inputShape]);
      const labels = tf.tensor1d([1, 2], 'int32');
      try {
        const context = { model: built.training, optimizer, ...trainableVariables(built.training), classes: 4, config };
        let step: ReturnType<typeof trainStep> | null = null;
        const profile = await tf.profile(() => {
          step = trainStep(context, x, labels);
        });
        const loss = (await step!.loss.data())[0];
        tf.dispose([step!.loss, step!.correct]);
        assert.ok(Number.isFinite(loss), `${architecture}: loss ${loss}`);
        // Names ending in __op are composite ops (custom gradients) around kernels, not kernels.
        for (const kernel of new Set(profile.kernelNames.filter((name) => !name.endsWith('__op')))) {
          assert.ok(tf.getKernel(kernel, 'webgpu'), `${architecture}: ${kernel} has no webgpu kernel`);
          if (!compared.has(kernel)) uncompared.add(kernel);
        }
      } finally {
        disposeOptimizer(optimizer);
        tf.dispose([x, labels]);
        disposeBuiltModel(built);
      }
    }
    assert.deepEqual([...uncompared], [], 'kernels the zoo dispatches that no case above compares with the cpu backend');
  });

  after(() => tf.setBackend('webgpu'));
});

describe('training on webgpu', { skip: unavailable }, () => {
  before(() => tf.setBackend('webgpu'));

  for (const { architecture, inputShape, batchSize } of [
    { architecture: 'lenet5', inputShape: [28, 28, 1] as InputShape, batchSize: 16 },
    { architecture: 'resnet20', inputShape: [16, 16, 3] as InputShape, batchSize: 8 },
  ]) {
    test(`${architecture}: six Adam steps on one batch, the loss falls`, async () => {
      const tensorsBefore = tf.memory().numTensors;
      seedGlobalRandom(`${architecture}-steps`);
      const built = buildModel(architecture, { inputShape, classes: 4 });
      const config = resolveTrainConfig({ epochs: 1, batchSize, learningRate: 0.003 });
      const optimizer = createOptimizer(config);
      const data = quadrantSplit(batchSize, inputShape, 4, 7).read(range(batchSize));
      const x = tf.tensor4d(data.x, [batchSize, ...inputShape]);
      const labels = tf.tensor1d(data.y, 'int32');
      const losses: number[] = [];
      try {
        const context = { model: built.training, optimizer, ...trainableVariables(built.training), classes: 4, config };
        for (let i = 0; i < 6; i++) {
          const step = trainStep(context, x, labels);
          losses.push((await step.loss.data())[0]);
          tf.dispose([step.loss, step.correct]);
        }
      } finally {
        disposeOptimizer(optimizer);
        tf.dispose([x, labels]);
        disposeBuiltModel(built);
      }
      assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
      const trace = losses.map((l) => l.toFixed(4)).join(' ');
      assert.ok(losses[5] < losses[0] * 0.97, `the loss falls: ${trace}`);
      assert.ok(
        losses.slice(1).every((l, i) => l < losses[i] + 0.01),
        `no step raises it: ${trace}`,
      );
      assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
    });
  }
});

describe('a training run on webgpu: checkpoint, resume, export', { skip: unavailable }, () => {
  const SHAPE: InputShape = [16, 16, 1];
  const dataset = (): Dataset => ({
    name: 'quadrants',
    inputShape: SHAPE,
    classNames: ['a', 'b', 'c', 'd'],
    train: quadrantSplit(96, SHAPE, 4, 21),
    test: quadrantSplit(32, SHAPE, 4, 22),
  });
  const config = resolveTrainConfig({ epochs: 2, batchSize: 16, learningRate: 0.01, normalize: true });
  const shards = (result: TrainingRunResult) => result.model.filter((f) => f.path.endsWith('.bin')).map((f) => f.bytes);
  let whole: TrainingRunResult;

  before(() => tf.setBackend('webgpu'));

  test('LeNet-5 trains two epochs, the loss falls, the manifest names the engine', async () => {
    whole = await runTraining({ architecture: 'lenet5', dataset: dataset(), config });
    assert.equal(whole.engine, 'webgpu');
    assert.equal(whole.manifest.engine, 'webgpu');
    assert.equal(whole.history.length, 2);
    assert.ok(whole.history[1].trainLoss < whole.history[0].trainLoss, `train loss ${whole.history.map((m) => m.trainLoss)}`);
  });

  test('stopped after epoch 1, it resumes from the checkpoint to the same model', async () => {
    const store = new MemoryCheckpointStore();
    const controller = new AbortController();
    await assert.rejects(
      runTraining(
        { architecture: 'lenet5', dataset: dataset(), config },
        { checkpoints: store, signal: controller.signal, onEpoch: () => controller.abort() },
      ),
      (e: unknown) => isCnnError(e, 'aborted'),
    );
    assert.equal(store.written.length, 1);
    const epochs: number[] = [];
    const resumed = await runTraining(
      { architecture: 'lenet5', dataset: dataset(), config },
      { checkpoints: store, onEpoch: (m) => void epochs.push(m.epoch) },
    );
    assert.deepEqual(epochs, [2]);
    assert.deepEqual(
      resumed.history.map((m) => m.trainLoss),
      whole.history.map((m) => m.trainLoss),
    );
    assert.deepEqual(shards(resumed), shards(whole));
  });

  test('the exported model loads in plain @tensorflow/tfjs (cpu backend, another process) and predicts as on webgpu', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainyard-webgpu-export-'));
    try {
      for (const file of whole.model) writeFileSync(join(dir, file.path), file.bytes);
      const images = quadrantSplit(16, SHAPE, 4, 23).read(range(16));
      writeFileSync(join(dir, 'images.json'), JSON.stringify({ pixels: Array.from(images.x), shape: [16, ...SHAPE] }));
      const script = `
        import * as tf from '@tensorflow/tfjs';
        import { readFileSync } from 'node:fs';
        const dir = process.argv[1];
        const read = (name) => readFileSync(dir + '/' + name);
        const modelJson = JSON.parse(read('model.json'));
        const weightSpecs = modelJson.weightsManifest.flatMap((group) => group.weights);
        const shards = modelJson.weightsManifest.flatMap((group) => group.paths.map(read));
        const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
        const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }));
        const { pixels, shape } = JSON.parse(read('images.json'));
        const probabilities = model.predict(tf.tensor4d(pixels, shape));
        console.log(JSON.stringify({ backend: tf.getBackend(), probabilities: Array.from(probabilities.dataSync()) }));
      `;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, dir], {
        cwd: packageDir,
        maxBuffer: 16 << 20,
      });
      const plain = JSON.parse(stdout.trim().split('\n').at(-1)!) as { backend: string; probabilities: number[] };
      assert.equal(plain.backend, 'cpu');

      const { loadExportedModel } = await import('../src/export/read-exported.js');
      const reloaded = await loadExportedModel(whole.model);
      const input = tf.tensor4d(images.x, [16, ...SHAPE]);
      const output = reloaded.predict(input) as tf.Tensor;
      const ours = await output.data();
      tf.dispose([input, output]);
      reloaded.dispose();
      assert.equal(plain.probabilities.length, ours.length);
      plain.probabilities.forEach((p, i) =>
        assert.ok(Math.abs(p - ours[i]) < 1e-4, `probability ${i}: ${p} in plain tfjs, ${ours[i]} on webgpu`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
