/**
 * The lean backward pass (src/engine/lean-gradients.ts) against tfjs's own Engine.gradients (still on
 * the Engine's prototype): the same gradients to the bit, on a residual conv net with batch norm and
 * on gradient functions that hand tensors through as they are, and a lower live-memory peak.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine/index.js';
import { buildModel, disposeBuiltModel } from '../src/models/index.js';

type Gradients = (f: () => tf.Tensor, xs: tf.Tensor[]) => { value: tf.Tensor; grads: tf.Tensor[] };
const engine = () => tf.engine() as unknown as { gradients: Gradients };
const tfjsGradients: Gradients = (f, xs) =>
  (Object.getPrototypeOf(tf.engine()) as { gradients: Gradients }).gradients.call(tf.engine(), f, xs);
const leanGradients: Gradients = (f, xs) => engine().gradients(f, xs);

before(async () => {
  await initEngine();
  assert.ok(Object.hasOwn(tf.engine(), 'gradients'), 'initEngine installs the lean gradients on the engine');
});

/** A one-input op with its own gradient function. */
function unary(f: (x: tf.Tensor) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor) => tf.Tensor }): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const { value, gradFunc } = f(args[0] as tf.Tensor);
    return { value, gradFunc: (dy: tf.Tensor | tf.Tensor[]) => gradFunc(dy as tf.Tensor) };
  }) as (x: tf.Tensor) => tf.Tensor;
}

/**
 * Runs `gradients` on f; returns the gradients' values and the bytes the backward pass added to the
 * live tensors by the time `probe`'s gradient ran.
 */
function run(gradients: Gradients, f: (probe: (x: tf.Tensor) => tf.Tensor) => tf.Tensor, xs: tf.Tensor[]) {
  let forwardBytes = 0;
  let backwardBytes = 0;
  // An identity whose gradient runs last (it is the first op of f): the bytes then, beyond those at the
  // end of the forward pass, are the gradients the backward pass still holds.
  const probe = unary((x) => ({ value: x.clone(), gradFunc: (dy) => ((backwardBytes = tf.memory().numBytes - forwardBytes), dy) }));
  const before = tf.memory().numTensors;
  const values = tf.tidy(() => {
    const { value, grads } = gradients(() => {
      const y = f(probe);
      forwardBytes = tf.memory().numBytes;
      return y;
    }, xs);
    return [value, ...grads].map((t) => t.arraySync());
  });
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  return { values, backwardBytes };
}

test('a residual conv net with batch norm: the same gradients as tfjs, with fewer bytes held in the backward pass', () => {
  const built = buildModel('resnet20', { inputShape: [8, 8, 3], classes: 4 });
  try {
    const model = built.training;
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 7);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4).cast('float32');
    const weights = model.trainableWeights.map((w) => w.read());
    const loss = (probe: (x: tf.Tensor) => tf.Tensor) =>
      tf.losses.softmaxCrossEntropy(labels, model.apply(probe(x), { training: true }) as tf.Tensor) as tf.Tensor;
    // Training-mode batch norm updates the moving statistics: restore them between the two runs.
    const state = model.weights.map((w) => w.read().clone());
    // The input is among the xs, so that the probe (its first op) is on the backward path, and last.
    const reference = run(tfjsGradients, loss, [x, ...weights]);
    model.weights.forEach((w, i) => w.write(state[i]));
    const lean = run(leanGradients, loss, [x, ...weights]);
    assert.deepEqual(lean.values, reference.values);
    // Beyond the gradients it returns (those of the xs), the lean pass holds only the frontier.
    const returned = [x, ...weights].reduce((bytes, t) => bytes + 4 * t.size, 0);
    assert.ok(
      lean.backwardBytes - returned < (reference.backwardBytes - returned) / 4,
      `bytes the backward pass holds at its end, beyond the ${returned} bytes of gradients it returns: ` +
        `${lean.backwardBytes - returned} (lean) vs ${reference.backwardBytes - returned} (tfjs)`,
    );
    tf.dispose([x, labels, ...state]);
  } finally {
    disposeBuiltModel(built);
  }
});

test('gradient functions that return dy as is, or one tensor for two inputs, and a gradient reused by two consumers', () => {
  const a = tf.variable(tf.tensor1d([1, 2, 3]));
  const b = tf.variable(tf.tensor1d([-1, 0.5, 4]));
  // Identity: its gradient is dy itself, stored as its input's gradient.
  const identity = unary((x) => ({ value: x.clone(), gradFunc: (dy) => dy }));
  // Both inputs get the very same tensor as their gradient.
  const twin = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, y] = args as tf.Tensor[];
    return {
      value: tf.add(x, y),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const shared = tf.mul(dy as tf.Tensor, 2);
        return [shared, shared];
      },
    };
  }) as (x: tf.Tensor, y: tf.Tensor) => tf.Tensor;
  const f = (probe: (x: tf.Tensor) => tf.Tensor) => {
    const h = identity(twin(probe(a), tf.square(b)));
    const k = tf.mul(h, identity(h)); // h feeds two consumers: its gradient is accumulated
    return tf.sum(tf.add(k, tf.mul(h, b)));
  };
  const reference = run(tfjsGradients, f, [a, b]);
  const lean = run(leanGradients, f, [a, b]);
  assert.deepEqual(lean.values, reference.values);
  tf.dispose([a, b]);
});
