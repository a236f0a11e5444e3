/** Pooling, batch norm, matrix products, layout copies, element-wise ops and reductions vs cpu. */
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { matchesCpu, normal, setUp, skipReason } from './helpers.js';

describe('pooling matches the cpu backend', { skip: skipReason }, () => {
  before(setUp);
  const cases: Array<{ x: [number, number, number, number]; size: number; strides: number; pad: 'same' | 'valid' }> = [
    { x: [2, 8, 8, 3], size: 2, strides: 2, pad: 'valid' },
    { x: [1, 9, 7, 5], size: 3, strides: 2, pad: 'same' },
    { x: [2, 7, 7, 6], size: 3, strides: 1, pad: 'same' },
    { x: [3, 11, 11, 13], size: 3, strides: 2, pad: 'valid' },
    { x: [1, 4, 4, 2], size: 4, strides: 4, pad: 'valid' },
  ];
  for (const c of cases) {
    const label = `${c.size}x${c.size} s${c.strides} ${c.pad} on ${c.x}`;
    it(`MaxPool and MaxPoolGrad ${label}`, () => {
      const x = normal(c.x, 11) as tf.Tensor4D;
      const weights = normal(
        tf.tidy(() => tf.maxPool(x, c.size, c.strides, c.pad).shape),
        12,
      );
      matchesCpu(label, () => tf.maxPool(x, c.size, c.strides, c.pad), ['poolForward']);
      matchesCpu(
        label,
        () =>
          tf.grad((a) =>
            tf
              .maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad)
              .mul(weights)
              .sum(),
          )(x),
        ['poolBackward'],
      );
    });
    it(`AvgPool and AvgPoolGrad ${label}`, () => {
      const x = normal(c.x, 13) as tf.Tensor4D;
      const weights = normal(
        tf.tidy(() => tf.avgPool(x, c.size, c.strides, c.pad).shape),
        14,
      );
      matchesCpu(label, () => tf.avgPool(x, c.size, c.strides, c.pad), ['poolForward']);
      matchesCpu(
        label,
        () =>
          tf.grad((a) =>
            tf
              .avgPool(a as tf.Tensor4D, c.size, c.strides, c.pad)
              .mul(weights)
              .sum(),
          )(x),
        ['poolBackward'],
      );
    });
  }
  it('MaxPoolGrad without a kept workspace (output computed outside gradient recording)', () => {
    const x = normal([2, 6, 6, 3], 15) as tf.Tensor4D;
    const dy = normal([2, 3, 3, 3], 16) as tf.Tensor4D;
    matchesCpu(
      'maxPoolGrad',
      () => {
        const y = tf.maxPool(x, 2, 2, 'valid');
        return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
      },
      ['poolBackward'],
    );
  });
});

describe('batch norm and matrix products match the cpu backend', { skip: skipReason }, () => {
  before(setUp);
  for (const shape of [
    [2, 5, 5, 3],
    [4, 13],
    [1, 3, 3, 17],
  ]) {
    it(`FusedBatchNorm on ${shape}, with and without scale and offset`, () => {
      const c = shape[shape.length - 1];
      const x = normal(shape, 21);
      const mean = normal([c], 22);
      const variance = tf.tidy(() => normal([c], 23).abs());
      const scale = normal([c], 24);
      const offset = normal([c], 25);
      matchesCpu(`${shape}`, () => tf.batchNorm(x, mean, variance, offset, scale, 0.001), ['batchNormInference']);
      matchesCpu(`${shape} bare`, () => tf.batchNorm(x, mean, variance, undefined, undefined, 1e-5), ['batchNormInference']);
    });
  }
  for (const [a, b, ta, tb] of [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[2, 4, 5], [2, 5, 6], false, false],
    [[3, 4, 5], [5, 6], false, false],
    [[1, 4, 5], [3, 6, 5], false, true],
  ] as Array<[number[], number[], boolean, boolean]>) {
    it(`BatchMatMul ${a} x ${b}${ta ? ' transposeA' : ''}${tb ? ' transposeB' : ''}`, () => {
      const [p, q] = [normal(a, 31), normal(b, 32)];
      matchesCpu('matMul', () => tf.matMul(p, q, ta, tb), ['matMul']);
    });
  }
  it('_FusedMatMul with bias and ReLU, and the dense fast path with its gradients', () => {
    const [a, b, bias] = [normal([6, 9], 33) as tf.Tensor2D, normal([9, 4], 34) as tf.Tensor2D, normal([4], 35)];
    const weights = normal([6, 4], 36);
    for (const activation of ['linear', 'relu'] as const) {
      matchesCpu(activation, () => tf.fused.matMul({ a, b, bias, activation }), ['matMul']);
      matchesCpu(
        `${activation} gradients`,
        () =>
          tf.grads((p, q, r) =>
            tf.fused
              .matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: r, activation })
              .mul(weights)
              .sum(),
          )([a, b, bias]),
        ['matMul', 'denseBackward'],
      );
    }
    // Transposed operands: the gradients take the general path (products and per-column sums).
    matchesCpu(
      'transposed gradients',
      () =>
        tf.grads((p, q, r) =>
          tf.fused
            .matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: r, activation: 'relu', transposeA: true, transposeB: true })
            .mul(weights)
            .sum(),
        )([tf.transpose(a), tf.transpose(b), bias]),
      ['matMul', 'columnSums', 'reluBackward'],
    );
    // tfjs runs _FusedMatMul itself outside gradient recording, with transposes.
    matchesCpu(
      'transposed',
      () =>
        tf
          .engine()
          .runKernel(
            '_FusedMatMul',
            { a: tf.transpose(a), b, bias },
            { transposeA: true, transposeB: false, activation: 'relu' },
          ) as tf.Tensor,
      ['matMul'],
    );
  });
});

describe('layout copies match the cpu backend', { skip: skipReason }, () => {
  before(setUp);
  it('Concat along channels (three inputs of odd widths) and along rows, and its gradient (SplitV)', () => {
    const parts = [normal([2, 3, 3, 5], 41), normal([2, 3, 3, 7], 42), normal([2, 3, 3, 1], 43)];
    matchesCpu('channels', () => tf.concat(parts, 3), ['concat']);
    matchesCpu('rows', () => tf.concat([normal([2, 3], 44), normal([5, 3], 45)], 0), ['concat']);
    const weights = normal([2, 3, 3, 13], 46);
    matchesCpu('gradient', () => tf.grads((a, b, c) => tf.concat([a, b, c], 3).mul(weights).sum())(parts), ['split']);
  });
  it('Slice (strided region), PadV2 and Transpose', () => {
    const x = normal([2, 7, 6, 5], 47);
    matchesCpu('slice', () => tf.slice(x, [0, 1, 2, 1], [2, 5, 3, 3]), ['slice']);
    matchesCpu(
      'pad',
      () =>
        tf.pad(
          x,
          [
            [0, 0],
            [1, 2],
            [2, 1],
            [0, 0],
          ],
          0.5,
        ),
      ['pad'],
    );
    matchesCpu(
      'pad channels',
      () =>
        tf.pad(x, [
          [1, 0],
          [0, 0],
          [0, 0],
          [2, 3],
        ]),
      ['pad'],
    );
    matchesCpu('transpose', () => tf.transpose(x, [0, 3, 1, 2]), ['transpose']);
    matchesCpu(
      'pad gradient',
      () =>
        tf.grad((a) =>
          tf
            .pad(a, [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ])
            .square()
            .sum(),
        )(x),
      ['slice'],
    );
  });
});

describe('element-wise ops and reductions match the cpu backend', { skip: skipReason }, () => {
  before(setUp);
  const a = () => normal([2, 3, 4, 5], 51);
  const shapes = [[2, 3, 4, 5], [5], [1, 1, 1, 5], [2, 1, 1, 5], [3, 1, 1], [], [2, 3, 4, 1]];
  for (const op of ['add', 'sub', 'mul', 'div', 'squaredDifference', 'maximum', 'minimum'] as const) {
    it(`${op} with broadcasting`, () => {
      const x = a();
      for (const shape of shapes) {
        const y = normal(shape, 52);
        matchesCpu(`${op} ${shape}`, () => tf[op](x, y), ['binary']);
        matchesCpu(`${op} reversed ${shape}`, () => tf[op](y, x), ['binary']);
      }
    });
  }
  it('unary functions, AddN and Cast', () => {
    const x = a();
    const positive = tf.tidy(() => x.abs().add(0.1));
    for (const op of ['relu', 'neg', 'square', 'exp', 'abs', 'sigmoid', 'tanh', 'relu6'] as const) {
      matchesCpu(op, () => tf[op](x), ['unary']);
    }
    for (const op of ['sqrt', 'rsqrt', 'log', 'reciprocal'] as const) matchesCpu(op, () => tf[op](positive), ['unary']);
    matchesCpu('step', () => tf.step(x, 0.25), ['unary']);
    matchesCpu('relu gradient', () => tf.grad((v) => tf.relu(v).mul(v).sum())(x), ['reluBackward']);
    matchesCpu('addN', () => tf.addN([x, x.mul(2), positive]), ['addN']);
    matchesCpu('cast', () => tf.cast(tf.tensor1d([1, -2, 3], 'int32'), 'float32').mul(0.5), ['binary']);
  });
  it('an int32 Add falls back to the cpu kernel', () => {
    matchesCpu('int', () => tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32')), []);
  });
  for (const op of ['sum', 'mean', 'max', 'min'] as const) {
    it(`${op} over adjacent axes, with and without keepDims`, () => {
      const x = normal([3, 4, 5, 6], 53);
      for (const axes of [[0, 1, 2], [1, 2], [3], [0], [2, 3], null]) {
        matchesCpu(`${op} ${axes}`, () => tf[op](x, axes ?? undefined), ['reduce']);
        matchesCpu(`${op} ${axes} keepDims`, () => tf[op](x, axes ?? undefined, true), ['reduce']);
      }
      matchesCpu(`${op} long row`, () => tf[op](normal([70000], 54)), ['reduce'], { relative: 1e-4 });
      matchesCpu(`${op} many rows`, () => tf[op](normal([40000, 3], 55), 0), ['reduce'], { relative: 1e-4 });
    });
  }
});
