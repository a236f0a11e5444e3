/**
 * The fast paths (batch-norm layer in training, softmax cross-entropy, optimizer updates) give what
 * tfjs's own code gives on the cpu backend, and tensor storage stays correct when arrays are recycled
 * or updated in place.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../src/index.js';
import { assertClose, assertNoLeakedTensors, countNativeCalls, matchesCpu, normal, setUp, skipReason } from './helpers.js';

describe('fast paths match tfjs on the cpu backend', { skip: skipReason }, () => {
  before(setUp);

  for (const shape of [
    [4, 5, 5, 3],
    [2, 1, 1, 6],
    [8, 10],
  ]) {
    it(`BatchNormalization layer in training on ${shape}: output, moving statistics, gradients`, () => {
      const channels = shape[shape.length - 1];
      const layer = tf.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-3 });
      const x = normal(shape, 61);
      layer.apply(x, { training: false });
      const initial = [normal([channels], 62, 0.3).add(1), normal([channels], 63), normal([channels], 64), normal([channels], 65).abs()];
      const weights = normal(shape, 66);
      const run = () => {
        layer.setWeights(initial);
        const { grads } = tf.variableGrads(
          () => (layer.apply(x, { training: true }) as tf.Tensor).mul(weights).sum() as tf.Scalar,
          layer.trainableWeights.map((w) => w.read() as tf.Variable),
        );
        const dx = tf.grad((v) => (layer.apply(v, { training: true }) as tf.Tensor).mul(weights).sum())(x);
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        return [y, dx, ...Object.values(grads), ...layer.getWeights()];
      };
      matchesCpu(`${shape}`, run, ['batchNormTraining', 'batchNormBackward'], { relative: 2e-4 });
    });
  }

  it('softmax cross-entropy with and without label smoothing, and its gradient', () => {
    const logits = normal([6, 10], 71, 3);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 3, 9, 3, 5, 1], 'int32'), 10).toFloat());
    for (const smoothing of [0, 0.1]) {
      matchesCpu(`loss ${smoothing}`, () => tf.losses.softmaxCrossEntropy(labels, logits, undefined, smoothing), ['softmaxCrossEntropy']);
      matchesCpu(
        `gradient ${smoothing}`,
        () => tf.grads((p, q) => tf.losses.softmaxCrossEntropy(p, q, undefined, smoothing, tf.Reduction.MEAN).mul(3))([labels, logits]),
        ['softmaxCrossEntropyBackward'],
      );
    }
  });

  const optimizers: Array<[string, () => tf.Optimizer, string]> = [
    ['adam', () => tf.train.adam(0.01, 0.9, 0.999, 1e-8), 'adamUpdate'],
    ['momentum', () => tf.train.momentum(0.05, 0.9), 'momentumUpdate'],
    ['nesterov', () => tf.train.momentum(0.05, 0.9, true), 'momentumUpdate'],
    ['sgd', () => tf.train.sgd(0.05), 'momentumUpdate'],
  ];
  for (const [name, create, native] of optimizers) {
    it(`${name}: five updates of two variables`, () => {
      const run = () => {
        // Variables own their storage once their initial values are disposed (as in layers).
        const [initialA, initialB] = [normal([5, 4], 81), normal([3], 82)];
        const a = tf.variable(initialA, true, `${name}_a`);
        const b = tf.variable(initialB, true, `${name}_b`);
        tf.dispose([initialA, initialB]);
        const optimizer = create();
        for (let step = 0; step < 5; step++) {
          optimizer.minimize(
            () =>
              a
                .square()
                .sum()
                .add(b.mul(a.slice([0, 0], [1, 3]).reshape([3])).sum()) as tf.Scalar,
          );
        }
        const values = [a.clone(), b.clone()];
        tf.dispose([a, b]);
        optimizer.dispose();
        return values;
      };
      const calls = countNativeCalls(() => {
        void tf.setBackend('cpu');
        const reference = tf.tidy(() => run().map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array })));
        void tf.setBackend('onednn');
        const ours = tf.tidy(() => run().map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array })));
        void tf.setBackend('cpu');
        assertClose(name, reference, ours, { absolute: 1e-6, relative: 1e-6 });
      });
      assert.ok((calls.get(native) ?? 0) >= 5, `${native} ran for every update`);
    });
  }

  it('Adam keeps its moments where tfjs keeps them: getWeights/setWeights round-trip continues identically', async () => {
    void tf.setBackend('onednn');
    const initial = normal([4], 91);
    const v = tf.variable(initial, true, 'roundtrip_v');
    initial.dispose();
    const loss = () => v.square().sum().add(v.sum()) as tf.Scalar;
    const first = tf.train.adam(0.1);
    first.minimize(loss);
    first.minimize(loss);
    const saved = await first.getWeights();
    assert.deepEqual(
      saved.map((w) => w.name),
      ['iter', 'roundtrip_v/m', 'roundtrip_v/v'],
    );
    const copies = saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
    const start = v.clone();
    first.minimize(loss);
    const continued = v.dataSync().slice();
    v.assign(start);
    const second = tf.train.adam(0.1);
    await second.setWeights(copies);
    // setWeights does not restore Adam's beta powers: set them as the trainer's checkpoints do.
    const internals = (o: tf.Optimizer) => o as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
    internals(second).accBeta1.assign(internals(first).accBeta1.mul(1 / 0.9));
    internals(second).accBeta2.assign(internals(first).accBeta2.mul(1 / 0.999));
    second.minimize(loss);
    assertClose('resumed', [{ shape: [4], values: continued }], [{ shape: [4], values: v.dataSync() as Float32Array }], {
      absolute: 1e-6,
      relative: 1e-5,
    });
    tf.dispose([v, start, ...copies.map((c) => c.tensor), ...saved.map((s) => s.tensor)]);
    first.dispose();
    second.dispose();
    void tf.setBackend('cpu');
  });
});

describe('tensor storage', { skip: skipReason }, () => {
  before(setUp);

  it('an array read with dataSync keeps its values after the tensor is disposed and its size is reused', () => {
    void tf.setBackend('onednn');
    const x = normal([64, 64], 101);
    const y = tf.relu(x);
    const read = y.dataSync();
    const copy = Float32Array.from(read);
    y.dispose();
    for (let i = 0; i < 5; i++) tf.tidy(() => tf.neg(x).dataSync());
    assert.deepEqual(read, copy);
    x.dispose();
    void tf.setBackend('cpu');
  });

  it('an in-place optimizer update changes neither an array read from the variable nor a clone of it', () => {
    void tf.setBackend('onednn');
    const initial = normal([8], 102);
    const v = tf.variable(initial);
    initial.dispose();
    const optimizer = tf.train.sgd(0.1);
    const loss = () => v.square().sum() as tf.Scalar;
    optimizer.minimize(loss);
    // Read: the update copies the storage first (copy on write), then updates in place.
    const read = v.dataSync();
    const before = Float32Array.from(read);
    const calls = countNativeCalls(() => optimizer.minimize(loss));
    assert.equal(calls.get('momentumUpdate'), 1);
    assert.deepEqual(read, before);
    assert.notDeepEqual(v.dataSync(), before);
    // Cloned: the storage is shared, so the update takes tfjs's own path.
    const clone = v.clone();
    const cloned = Float32Array.from(clone.dataSync());
    const fallback = countNativeCalls(() => optimizer.minimize(loss));
    assert.equal(fallback.get('momentumUpdate') ?? 0, 0);
    assert.deepEqual(clone.dataSync(), cloned);
    assert.notDeepEqual(v.dataSync(), cloned);
    tf.dispose([v, clone]);
    optimizer.dispose();
    void tf.setBackend('cpu');
  });

  it('a training step leaks no tensors and recycles its arrays', () => {
    void tf.setBackend('onednn');
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.batchNormalization(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3 }),
      ],
    });
    const x = normal([4, 8, 8, 3], 103);
    assertNoLeakedTensors(model, x, 3);
    assert.ok((tf.backend() as OnednnBackend).pooledBytes > 0);
    model.dispose();
    x.dispose();
    void tf.setBackend('cpu');
  });
});
