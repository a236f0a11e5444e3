/**
 * Members of tfjs internals that this project reads or replaces at run time: the batch-norm layer's
 * own `call` (the onednn fast path and frozen batch norms replace it) and its weight fields, the
 * optimizers' private fields (learning rate, Adam's running beta powers and moments, the momentum
 * accumulators), the cpu backend's `firstUse` (cleared so that it does not print its Node banner), and
 * the Engine's tape and tensor-id members that lean-gradients.ts's rewrite of Engine.gradients uses. tfjs is pinned to exactly PINNED_TFJS_VERSION (every package.json plus the root
 * overrides, checked by a test); an upgrade that renamed one of them would otherwise fall back silently,
 * and a frozen batch norm would train on batch statistics. initEngine checks them before anything trains.
 */
import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';

export const PINNED_TFJS_VERSION = '4.22.0';

function missingFields(what: string, object: object, fields: readonly string[]): string[] {
  return fields.filter((field) => !(field in object)).map((field) => `${what}.${field}`);
}

/** The names of the members that are not where this project expects them; empty when all are. */
export function missingTfjsMembers(): string[] {
  const missing: string[] = [];
  const batchNorm = tf.layers.batchNormalization({});
  if (!Object.hasOwn(Object.getPrototypeOf(batchNorm) as object, 'call')) missing.push('BatchNormalization.prototype.call');
  tf.tidy(() => {
    batchNorm.apply(tf.zeros([1, 2])); // builds the layer: its weight fields exist from then on
  });
  missing.push(
    ...missingFields('BatchNormalization', batchNorm, ['axis', 'momentum', 'epsilon', 'gamma', 'beta', 'movingMean', 'movingVariance']),
  );
  batchNorm.dispose();

  const adam = tf.train.adam(0.001);
  const adamFields = [
    'learningRate',
    'beta1',
    'beta2',
    'epsilon',
    'accBeta1',
    'accBeta2',
    'accumulatedFirstMoment',
    'accumulatedSecondMoment',
  ];
  missing.push(...missingFields('AdamOptimizer', adam, [...adamFields, 'incrementIterations', 'applyGradients']));
  adam.dispose();
  const momentum = tf.train.momentum(0.1, 0.9, true);
  missing.push(
    ...missingFields('MomentumOptimizer', momentum, ['learningRate', 'm', 'useNesterov', 'accumulations', 'c', 'setLearningRate']),
  );
  momentum.dispose();
  (momentum as unknown as { c?: tf.Tensor }).c?.dispose();
  const sgd = tf.train.sgd(0.1);
  missing.push(...missingFields('SGDOptimizer', sgd, ['learningRate', 'c', 'setLearningRate', 'incrementIterations']));
  sgd.dispose();
  const rmsprop = tf.train.rmsprop(0.1);
  missing.push(...missingFields('RMSPropOptimizer', rmsprop, ['learningRate']));
  rmsprop.dispose();
  missing.push(...missingFields('MathBackendCPU', new tf.MathBackendCPU(), ['firstUse']));
  // lean-gradients.ts replaces Engine.gradients with a rewrite that uses these.
  const engine = tf.engine() as unknown as { state: object; constructor: object };
  missing.push(...missingFields('Engine', engine, ['state', 'scopedRun', 'startTape', 'endTape', 'tidy', 'gradients']));
  missing.push(...missingFields('EngineState', engine.state, ['gradientDepth']));
  if (typeof (engine.constructor as { nextTensorId?: unknown }).nextTensorId !== 'number') missing.push('Engine.nextTensorId');
  return missing;
}

let checked = false;

/** Throws CnnError('engine_unavailable') naming every member that is missing (checked once per process). */
export function checkTfjsInternals(): void {
  if (checked) return;
  const missing = missingTfjsMembers();
  if (missing.length > 0) {
    throw new CnnError(
      'engine_unavailable',
      `TensorFlow.js ${tf.version.tfjs} lacks internals this project patches or reads (${missing.join(', ')}); ` +
        `it is tested with exactly ${PINNED_TFJS_VERSION}: install that version.`,
      { tfjs: tf.version.tfjs, expected: PINNED_TFJS_VERSION, missing },
    );
  }
  checked = true;
}
