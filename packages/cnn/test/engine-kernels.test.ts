/**
 * Every kernel the engine registers on the wasm backend, checked against tfjs's cpu backend (the
 * reference implementation) on many shapes, plus forward and backward passes of small graphs of
 * every architecture family, and no leaks: neither engine tensors (tf.memory) nor the wasm heap
 * buffers that kernels create internally (the backend's data ids).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initEngine } from '../src/engine/index.js';
import { originalWasmKernel } from '../src/engine/wasm/register-training-kernels.js';
import { randomValues } from './random-values.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Result {
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

/**
 * Runs `compute` on a backend with fresh copies of the inputs, reads the result back and frees
 * everything; on wasm also asserts that nothing stayed allocated.
 */
async function runOn(
  backend: 'cpu' | 'wasm',
  inputs: Array<{ values: Float32Array | Int32Array | Uint8Array; shape: number[]; dtype?: tf.DataType }>,
  compute: (...tensors: tf.Tensor[]) => tf.Tensor,
): Promise<Result> {
  await tf.setBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const buffersBefore = backend === 'wasm' ? (tf.backend() as BackendWasm).numDataIds() : 0;
  const tensors = inputs.map(({ values, shape, dtype }) => tf.tensor(values, shape, dtype ?? 'float32'));
  const output = compute(...tensors);
  const result = { shape: output.shape.slice(), values: output.dataSync() as Result['values'] };
  tf.dispose([...tensors, output]);
  assert.equal(tf.memory().numTensors, tensorsBefore, `${backend}: tensors leaked`);
  if (backend === 'wasm') {
    assert.equal((tf.backend() as BackendWasm).numDataIds(), buffersBefore, 'wasm: heap buffers leaked');
  }
  return result;
}

/**
 * Element-wise closeness scaled to the reference's magnitude: float32 sums of hundreds of products
 * legitimately differ in their last bits between implementations. `atolFraction` of the largest
 * reference value is the absolute slack for elements that are small because terms cancelled.
 */
function assertClose(actual: Result, expected: Result, what: string, rtol = 1e-4, atolFraction = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let scale = 0;
  for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
  const atol = atolFraction * Math.max(scale, 1e-3);
  for (let i = 0; i < expected.values.length; i++) {
    const a = actual.values[i];
    const e = expected.values[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.fail(`${what}: element ${i} is ${a}, cpu gives ${e} (scale ${scale})`);
    }
  }
}

async function compareWithCpu(
  what: string,
  inputs: Array<{ values: Float32Array | Int32Array | Uint8Array; shape: number[]; dtype?: tf.DataType }>,
  compute: (...tensors: tf.Tensor[]) => tf.Tensor,
  rtol?: number,
): Promise<void> {
  const expected = await runOn('cpu', inputs, compute);
  const actual = await runOn('wasm', inputs, compute);
  assertClose(actual, expected, what, rtol);
}

function random(shape: number[], seed: number) {
  return {
    values: randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  };
}

function convOutputShape(x: Shape4, filter: Shape4, strides: number | [number, number], pad: Pad): number[] {
  return tf.backend_util.computeConv2DInfo(x, filter, strides, 1, pad).outShape;
}

interface ConvCase {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'valid' },
  { x: [2, 9, 10, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { x: [2, 10, 9, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'valid' },
  { x: [1, 6, 6, 2], filter: [3, 3, 2, 4], strides: 2, pad: 'valid' }, // last row/column never reached
  { x: [3, 28, 28, 1], filter: [5, 5, 1, 6], strides: 1, pad: 'valid' }, // LeNet-5's first layer
  { x: [2, 12, 12, 6], filter: [5, 5, 6, 16], strides: 1, pad: 'valid' }, // and its second
  { x: [1, 13, 15, 3], filter: [1, 1, 3, 9], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 7], filter: [1, 1, 7, 10], strides: 2, pad: 'same' }, // projection shortcut
  { x: [2, 5, 5, 3], filter: [1, 1, 3, 4], strides: 2, pad: 'valid' }, // windows end flush
  { x: [2, 27, 27, 3], filter: [11, 11, 3, 7], strides: 4, pad: 'valid' }, // AlexNet-like
  { x: [1, 17, 15, 5], filter: [11, 11, 5, 3], strides: 1, pad: 'same' },
  { x: [2, 11, 11, 5], filter: [7, 7, 5, 13], strides: 2, pad: 'same' }, // ResNet stem, odd size
  { x: [2, 9, 9, 4], filter: [1, 7, 4, 6], strides: 1, pad: 'same' }, // Inception v3 asymmetric
  { x: [2, 9, 9, 4], filter: [7, 1, 4, 6], strides: 1, pad: 'same' },
  { x: [2, 15, 15, 3], filter: [3, 3, 3, 8], strides: 3, pad: 'same' },
  { x: [2, 9, 11, 3], filter: [3, 3, 3, 5], strides: [2, 1], pad: 'same' },
  {
    x: [2, 9, 10, 3],
    filter: [3, 3, 3, 5],
    strides: [2, 3],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    x: [1, 7, 7, 9],
    filter: [3, 3, 9, 17],
    strides: 1,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
];

function describeConv(c: ConvCase): string {
  return `x ${c.x} filter ${c.filter} strides ${c.strides} pad ${JSON.stringify(c.pad)}`;
}

before(async () => {
  const engine = await initEngine({ engine: 'wasm' });
  assert.equal(engine.name, 'wasm');
});

describe('Conv2DBackpropFilter on wasm equals cpu', () => {
  for (const [i, c] of CONV_CASES.entries()) {
    test(describeConv(c), async () => {
      const dyShape = convOutputShape(c.x, c.filter, c.strides, c.pad);
      await compareWithCpu('filter gradient', [random(c.x, 10 + i), random(dyShape, 100 + i)], (x, dy) => {
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
        return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
    });
  }
});

describe('Conv2DBackpropInput on wasm equals cpu', () => {
  for (const [i, c] of CONV_CASES.entries()) {
    test(describeConv(c), async () => {
      const dyShape = convOutputShape(c.x, c.filter, c.strides, c.pad);
      await compareWithCpu('input gradient', [random(dyShape, 200 + i), random(c.filter, 300 + i)], (dy, filter) =>
        tf.conv2dTranspose(dy as tf.Tensor4D, filter as tf.Tensor4D, c.x, c.strides, c.pad),
      );
    });
  }

  test('a padding larger than the filter falls back to the backend own kernel', async () => {
    const c: ConvCase = {
      x: [1, 6, 6, 2],
      filter: [2, 2, 2, 3],
      strides: 1,
      pad: [
        [0, 0],
        [3, 2],
        [2, 3],
        [0, 0],
      ],
    };
    assert.notEqual(originalWasmKernel(tf.Conv2DBackpropInput), undefined);
    const dyShape = convOutputShape(c.x, c.filter, c.strides, c.pad);
    await compareWithCpu('input gradient', [random(dyShape, 1), random(c.filter, 2)], (dy, filter) =>
      tf.conv2dTranspose(dy as tf.Tensor4D, filter as tf.Tensor4D, c.x, c.strides, c.pad),
    );
  });
});

describe('MaxPoolGrad on wasm equals cpu', () => {
  const cases: Array<{ x: Shape4; size: number; strides: number; pad: 'same' | 'valid'; ties?: boolean }> = [
    { x: [2, 24, 24, 6], size: 2, strides: 2, pad: 'valid' }, // LeNet-5
    { x: [2, 9, 9, 5], size: 2, strides: 2, pad: 'valid' }, // odd: last row and column dropped
    { x: [2, 9, 9, 5], size: 2, strides: 2, pad: 'same' },
    { x: [1, 13, 11, 7], size: 3, strides: 2, pad: 'valid' }, // overlapping windows (AlexNet)
    { x: [2, 12, 12, 3], size: 3, strides: 2, pad: 'same' }, // ResNet's stem pool
    { x: [2, 7, 7, 9], size: 3, strides: 1, pad: 'same' }, // Inception pool branch
    { x: [2, 8, 8, 4], size: 2, strides: 2, pad: 'valid', ties: true },
    { x: [1, 9, 9, 3], size: 3, strides: 2, pad: 'same', ties: true },
  ];
  for (const [i, c] of cases.entries()) {
    test(`x ${c.x} pool ${c.size} strides ${c.strides} ${c.pad}${c.ties ? ' with ties' : ''}`, async () => {
      const x = random(c.x, 400 + i);
      // Ties: few distinct values (and many zeros, as after a ReLU); the gradient must go to the first maximum only.
      if (c.ties) x.values.forEach((v, j) => (x.values[j] = Math.max(0, Math.round(v * 2))));
      const outShape = tf.backend_util.computePool2DInfo(c.x, c.size, c.strides, 1, c.pad).outShape;
      await compareWithCpu('max pool gradient', [x, random(outShape, 500 + i)], (input, dy) => {
        const output = tf.maxPool(input as tf.Tensor4D, c.size, c.strides, c.pad);
        const attrs = { filterSize: c.size, strides: c.strides, pad: c.pad };
        const dx = tf.engine().runKernel(tf.MaxPoolGrad, { dy, input, output }, attrs as unknown as tf.NamedAttrMap);
        output.dispose();
        return dx as tf.Tensor;
      });
    });
  }
});

describe('BatchMatMul with transposed operands on wasm equals cpu', () => {
  const cases: Array<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> = [
    { a: [64, 256], b: [64, 120], transposeA: true, transposeB: false }, // dense kernel gradient
    { a: [64, 120], b: [256, 120], transposeA: false, transposeB: true }, // dense input gradient
    { a: [13, 7], b: [5, 13], transposeA: true, transposeB: true },
    { a: [1, 9, 4], b: [1, 9, 6], transposeA: true, transposeB: false },
    { a: [3, 5, 4], b: [3, 6, 4], transposeA: false, transposeB: true }, // batched
    { a: [2, 4, 5], b: [1, 6, 4], transposeA: true, transposeB: true }, // broadcast batch
    { a: [1, 7], b: [7, 3], transposeA: false, transposeB: false },
  ];
  for (const [i, c] of cases.entries()) {
    test(`a ${c.a}${c.transposeA ? 'ᵀ' : ''} b ${c.b}${c.transposeB ? 'ᵀ' : ''}`, async () => {
      await compareWithCpu('matmul', [random(c.a, 600 + i), random(c.b, 700 + i)], (a, b) => tf.matMul(a, b, c.transposeA, c.transposeB));
    });
  }
});

describe('Tile on wasm equals cpu', () => {
  const cases: Array<{ shape: number[]; reps: number[]; dtype?: 'int32' | 'bool' }> = [
    { shape: [1, 1, 1, 16], reps: [64, 8, 8, 1] }, // batch norm's gradient
    { shape: [1, 1, 1, 5], reps: [3, 7, 9, 1] },
    { shape: [2, 3], reps: [3, 2] },
    { shape: [5], reps: [7] },
    { shape: [2, 1, 3], reps: [1, 4, 1] },
    { shape: [2, 3, 1, 2, 2], reps: [2, 1, 3, 1, 2] },
    { shape: [3, 4], reps: [1, 1] },
    { shape: [2, 3], reps: [2, 3], dtype: 'int32' },
    { shape: [4], reps: [3], dtype: 'bool' },
  ];
  for (const [i, c] of cases.entries()) {
    test(`${c.dtype ?? 'float32'} ${c.shape} x ${c.reps}`, async () => {
      const input = random(c.shape, 800 + i);
      const values =
        c.dtype === undefined
          ? input.values
          : Int32Array.from(input.values, (v) => (c.dtype === 'bool' ? Number(v > 0) : Math.round(v * 100)));
      await compareWithCpu('tile', [{ values, shape: c.shape, dtype: c.dtype }], (x) => tf.tile(x, c.reps), 0);
    });
  }
});

describe('Sum and Mean on wasm equal cpu', () => {
  const cases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean }> = [
    { shape: [8, 16, 16, 16], axis: [0, 1, 2], keepDims: false }, // per-channel statistics
    { shape: [32, 32, 32, 3], axis: [0, 1, 2], keepDims: true }, // 32,768 rows: float32 accumulation
    { shape: [3, 7, 5, 13], axis: [0, 1, 2], keepDims: true },
    { shape: [3, 7, 5, 13], axis: [2, 0, 1], keepDims: false },
    { shape: [1, 1, 1, 6], axis: [0, 1, 2], keepDims: false }, // batch 1, 1x1 spatial
    { shape: [64, 120], axis: 0, keepDims: false }, // dense bias gradient
    { shape: [5, 9, 4], axis: [0, 1], keepDims: true },
    { shape: [3, 7, 5, 13], axis: [1, 2], keepDims: false }, // global average pooling: not ours
    { shape: [3, 7, 5, 13], axis: -1, keepDims: true },
    { shape: [4, 6], axis: [0, 1], keepDims: false },
  ];
  for (const [i, c] of cases.entries()) {
    for (const op of ['sum', 'mean'] as const) {
      test(`${op} ${c.shape} over ${c.axis}${c.keepDims ? ' keeping dims' : ''}`, async () => {
        await compareWithCpu(op, [random(c.shape, 900 + i)], (x) => tf[op](x, c.axis, c.keepDims));
      });
    }
  }

  test('int32 sums go to the backend own kernel', async () => {
    const values = Int32Array.from({ length: 2 * 3 * 4 }, (_, i) => i - 7);
    await compareWithCpu('int sum', [{ values, shape: [2, 3, 4], dtype: 'int32' }], (x) => tf.sum(x, [0, 1]), 0);
  });
});

describe('Identity and Cast on wasm', () => {
  test('a clone shares its source buffer and outlives it', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    const buffersBefore = backend.numDataIds();
    const x = tf.tensor([1.5, -2, 3], [3]);
    const copies = [tf.clone(x), tf.cast(x, 'float32')];
    assert.equal(backend.numDataIds(), buffersBefore + 1, 'no new buffer');
    x.dispose();
    for (const copy of copies) assert.deepEqual(Array.from(copy.dataSync()), [1.5, -2, 3]);
    tf.dispose(copies);
    assert.equal(backend.numDataIds(), buffersBefore);
  });

  for (const [from, to] of [
    ['float32', 'int32'],
    ['int32', 'float32'],
    ['float32', 'bool'],
    ['bool', 'float32'],
    ['int32', 'int32'],
  ] as const) {
    test(`cast ${from} to ${to}`, async () => {
      const values = Int32Array.from([0, 1, -3, 7, 0, 2]);
      const input = {
        values:
          from === 'float32'
            ? Float32Array.from([0, 1.7, -3.2, 7, -0, 2.5])
            : from === 'bool'
              ? Uint8Array.from([0, 1, 1, 0, 0, 1])
              : values,
        shape: [2, 3],
        dtype: from,
      };
      await compareWithCpu('cast', [input], (x) => tf.cast(x, to), 0);
    });
  }
});

// ---------------------------------------------------------------- whole graphs

const L = tf.layers;

function convBn(x: tf.SymbolicTensor, filters: number, kernelSize: number | [number, number], strides = 1): tf.SymbolicTensor {
  const conv = L.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
  return L.batchNormalization().apply(conv) as tf.SymbolicTensor;
}

function relu(x: tf.SymbolicTensor): tf.SymbolicTensor {
  return L.reLU().apply(x) as tf.SymbolicTensor;
}

function apply(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/** Small graphs with the layers of every architecture family of the catalog (no dropout: it is random). */
const GRAPHS: Record<
  string,
  { input: [number, number, number]; build: (x: tf.SymbolicTensor) => tf.SymbolicTensor | tf.SymbolicTensor[] }
> = {
  lenet: {
    input: [28, 28, 1],
    build: (x) => {
      x = apply(L.maxPooling2d({ poolSize: 2 }), apply(L.conv2d({ filters: 6, kernelSize: 5, activation: 'relu' }), x));
      x = apply(L.maxPooling2d({ poolSize: 2 }), apply(L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), x));
      x = apply(L.dense({ units: 12, activation: 'relu' }), apply(L.flatten(), x));
      return apply(L.dense({ units: 10 }), x);
    },
  },
  alexnet: {
    input: [67, 67, 3],
    build: (x) => {
      x = apply(L.conv2d({ filters: 8, kernelSize: 11, strides: 4, activation: 'relu' }), apply(L.zeroPadding2d({ padding: 2 }), x));
      x = apply(L.maxPooling2d({ poolSize: 3, strides: 2 }), x);
      x = apply(L.conv2d({ filters: 12, kernelSize: 5, padding: 'same', activation: 'relu' }), x);
      x = apply(L.flatten(), apply(L.maxPooling2d({ poolSize: 3, strides: 2 }), x));
      return apply(L.dense({ units: 10 }), apply(L.dense({ units: 16, activation: 'relu' }), x));
    },
  },
  vgg_bn: {
    input: [16, 16, 3],
    build: (x) => {
      x = apply(L.maxPooling2d({ poolSize: 2 }), relu(convBn(x, 8, 3)));
      x = apply(L.maxPooling2d({ poolSize: 2 }), relu(convBn(relu(convBn(x, 12, 3)), 12, 3)));
      return apply(L.dense({ units: 10 }), apply(L.flatten(), x));
    },
  },
  resnet: {
    input: [16, 16, 3],
    build: (x) => {
      x = relu(convBn(x, 8, 3));
      const block = (input: tf.SymbolicTensor, filters: number, strides: number) => {
        const y = convBn(relu(convBn(input, filters, 3, strides)), filters, 3);
        const shortcut = strides !== 1 || input.shape[3] !== filters ? convBn(input, filters, 1, strides) : input;
        return relu(apply(L.add(), [y, shortcut]));
      };
      x = block(block(block(x, 8, 1), 12, 2), 16, 2);
      return apply(L.dense({ units: 10 }), apply(L.globalAveragePooling2d({}), x));
    },
  },
  resnet_imagenet_stem_and_bottleneck: {
    input: [32, 32, 3],
    build: (x) => {
      x = relu(
        apply(
          L.batchNormalization(),
          apply(L.conv2d({ filters: 8, kernelSize: 7, strides: 2, useBias: false }), apply(L.zeroPadding2d({ padding: 3 }), x)),
        ),
      );
      x = apply(L.maxPooling2d({ poolSize: 3, strides: 2 }), apply(L.zeroPadding2d({ padding: 1 }), x));
      const y = convBn(relu(convBn(relu(convBn(x, 4, 1)), 4, 3, 2)), 16, 1);
      x = relu(apply(L.add(), [y, convBn(x, 16, 1, 2)]));
      return apply(L.dense({ units: 10 }), apply(L.globalAveragePooling2d({}), x));
    },
  },
  densenet: {
    input: [16, 16, 3],
    build: (x) => {
      const denseLayer = (input: tf.SymbolicTensor) => {
        const y = apply(
          L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }),
          relu(
            apply(
              L.batchNormalization(),
              apply(L.conv2d({ filters: 12, kernelSize: 1, useBias: false }), relu(apply(L.batchNormalization(), input))),
            ),
          ),
        );
        return apply(L.concatenate(), [input, y]);
      };
      x = denseLayer(denseLayer(relu(convBn(x, 8, 3))));
      x = apply(
        L.averagePooling2d({ poolSize: 2, strides: 2 }),
        apply(L.conv2d({ filters: 8, kernelSize: 1, useBias: false }), relu(apply(L.batchNormalization(), x))),
      );
      x = relu(apply(L.batchNormalization(), denseLayer(x)));
      return apply(L.dense({ units: 10 }), apply(L.globalAveragePooling2d({}), x));
    },
  },
  inception_with_aux_head: {
    input: [35, 35, 3],
    build: (x) => {
      x = relu(apply(L.batchNormalization(), apply(L.conv2d({ filters: 8, kernelSize: 3, strides: 2, useBias: false }), x)));
      x = apply(L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), x);
      const branches = [
        relu(convBn(x, 4, 1)),
        relu(convBn(relu(convBn(relu(convBn(x, 4, 1)), 6, [1, 7])), 6, [7, 1])),
        relu(convBn(relu(convBn(x, 4, 1)), 6, 3)),
        relu(convBn(apply(L.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }), x), 4, 1)),
        relu(convBn(apply(L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }), x), 4, 1)),
      ];
      x = apply(L.concatenate(), branches);
      const aux = apply(
        L.dense({ units: 10 }),
        apply(L.flatten(), relu(convBn(apply(L.averagePooling2d({ poolSize: 5, strides: 3 }), x), 8, 1))),
      );
      const main = apply(
        L.globalAveragePooling2d({}),
        relu(apply(L.batchNormalization(), apply(L.conv2d({ filters: 8, kernelSize: 3, strides: 2, useBias: false }), x))),
      );
      return [apply(L.dense({ units: 10 }), main), aux];
    },
  },
};

/** Loss (main plus auxiliary heads) and the gradient of every trainable weight, in training mode. */
function lossAndGradients(model: tf.LayersModel, x: tf.Tensor, labels: tf.Tensor): tf.Tensor[] {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const outputs = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
    const logits = Array.isArray(outputs) ? outputs : [outputs];
    return tf.addN(logits.map((l) => tf.losses.softmaxCrossEntropy(labels, l))) as tf.Scalar;
  }, variables);
  return [value, ...variables.map((v) => grads[v.name])];
}

describe('forward and backward passes of every architecture family on wasm equal cpu', () => {
  for (const [name, graph] of Object.entries(GRAPHS)) {
    test(name, async () => {
      await tf.setBackend('wasm');
      const input = tf.input({ shape: graph.input });
      const model = tf.model({ inputs: input, outputs: graph.build(input) });
      const x = random([3, ...graph.input], 1000);
      const labels = { values: tf.tidy(() => tf.oneHot([1, 3, 9], 10).dataSync() as Float32Array), shape: [3, 10] };

      const results: Record<'cpu' | 'wasm', Result[]> = { cpu: [], wasm: [] };
      for (const backend of ['cpu', 'wasm'] as const) {
        // The same weights on both backends (tfjs moves variables between backends on demand).
        await tf.setBackend(backend);
        const tensorsBefore = tf.memory().numTensors;
        const inputs = [tf.tensor(x.values, x.shape), tf.tensor(labels.values, labels.shape)];
        const outputs = lossAndGradients(model, inputs[0], inputs[1]);
        results[backend] = outputs.map((t) => ({ shape: t.shape.slice(), values: t.dataSync() as Float32Array }));
        tf.dispose([...inputs, ...outputs]);
        assert.equal(tf.memory().numTensors, tensorsBefore, `${backend}: tensors leaked`);
      }
      const weightNames = ['loss', ...model.trainableWeights.map((w) => w.name)];
      // Gradients of batch norm's scale are sums of terms that largely cancel, hence the looser slack.
      results.wasm.forEach((result, i) => assertClose(result, results.cpu[i], `${name} ${weightNames[i]}`, 1e-3, 1e-3));
      model.dispose();
    });
  }
});
