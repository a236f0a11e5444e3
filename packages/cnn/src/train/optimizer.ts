/**
 * tf.train optimizers configured like PyTorch's defaults, a way to change their learning rate per
 * step, and their complete state as plain arrays for checkpoints.
 */
import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import type { TrainConfig } from '../types.js';

/** PyTorch's Adam and RMSprop epsilon (tfjs would otherwise use the backend's, 1e-7). */
const EPSILON = 1e-8;
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
/** torch.optim.RMSprop's alpha. */
const RMSPROP_DECAY = 0.99;

export function createOptimizer(config: Pick<TrainConfig, 'optimizer' | 'learningRate' | 'momentum' | 'nesterov'>): tf.Optimizer {
  switch (config.optimizer) {
    case 'sgd':
      return config.momentum > 0
        ? tf.train.momentum(config.learningRate, config.momentum, config.nesterov)
        : tf.train.sgd(config.learningRate);
    case 'adam':
      return tf.train.adam(config.learningRate, ADAM_BETA1, ADAM_BETA2, EPSILON);
    case 'rmsprop':
      return tf.train.rmsprop(config.learningRate, RMSPROP_DECAY, config.momentum, EPSILON, false);
  }
}

/**
 * SGD and momentum cache the rate as a tensor and expose setLearningRate; Adam and RMSprop read their
 * `learningRate` field on every update, so writing the field is how their rate changes.
 */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const withRate = optimizer as unknown as { learningRate: number };
  if (withRate.learningRate === learningRate) return;
  if (isKind(optimizer, 'SGD', 'Momentum')) (optimizer as tf.SGDOptimizer).setLearningRate(learningRate);
  else withRate.learningRate = learningRate;
}

/**
 * Frees everything the optimizer holds. MomentumOptimizer.dispose() forgets the learning-rate scalar
 * its parent SGDOptimizer keeps, so that one is released here.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  if (isKind(optimizer, 'Momentum')) (optimizer as unknown as { c: tf.Tensor }).c.dispose();
}

/**
 * tfjs gives Optimizer a duck-typed Symbol.hasInstance that subclasses inherit, so `instanceof
 * AdamOptimizer` is true for every optimizer; the registered class name is reliable.
 */
function isKind(optimizer: tf.Optimizer, ...classNames: string[]): boolean {
  return classNames.includes(optimizer.getClassName());
}

/** One saved array of an optimizer (a moment, an accumulator, the iteration count). */
interface SavedArray {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/**
 * The optimizer's whole state. `arrays` is optimizer.getWeights() in its own order (positional: tfjs
 * matches accumulators to variables by position, not by name). Adam also keeps the running powers
 * beta^t outside getWeights; its setWeights would recompute them with pow(), which differs from the
 * running product in the last bits, so we save them to resume bit for bit.
 */
export interface OptimizerState {
  arrays: SavedArray[];
  adamBetaPowers: [number, number] | null;
}

interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

export async function captureOptimizerState(optimizer: tf.Optimizer): Promise<OptimizerState> {
  const weights = await optimizer.getWeights();
  const arrays: SavedArray[] = [];
  for (const [i, { name, tensor }] of weights.entries()) {
    const dtype = tensor.dtype === 'int32' ? 'int32' : 'float32';
    arrays.push({ name, shape: tensor.shape.slice(), dtype, data: (await tensor.data()) as Float32Array | Int32Array });
    // getWeights() creates a fresh scalar for the iteration count (index 0); the rest are live variables.
    if (i === 0) tensor.dispose();
  }
  let adamBetaPowers: [number, number] | null = null;
  if (isKind(optimizer, 'Adam')) {
    const internals = optimizer as unknown as AdamInternals;
    adamBetaPowers = [(await internals.accBeta1.data())[0], (await internals.accBeta2.data())[0]];
  }
  return { arrays, adamBetaPowers };
}

/** Restores into a freshly created optimizer of the same kind (one that has not taken a step yet). */
export async function restoreOptimizerState(optimizer: tf.Optimizer, state: OptimizerState): Promise<void> {
  const tensors = state.arrays.map((a) => ({ name: a.name, tensor: tf.tensor(a.data, a.shape, a.dtype) }));
  try {
    await optimizer.setWeights(tensors);
  } catch (error) {
    throw new CnnError('checkpoint_invalid', `The checkpoint's optimizer state does not fit this optimizer: ${(error as Error).message}`);
  } finally {
    // setWeights wraps each tensor in a new variable that holds its own reference to the data.
    tf.dispose(tensors.map((t) => t.tensor));
  }
  if (isKind(optimizer, 'Adam')) {
    if (!state.adamBetaPowers) throw new CnnError('checkpoint_invalid', 'The checkpoint lacks the Adam optimizer state.');
    const internals = optimizer as unknown as AdamInternals;
    tf.tidy(() => {
      internals.accBeta1.assign(tf.scalar(state.adamBetaPowers![0]));
      internals.accBeta2.assign(tf.scalar(state.adamBetaPowers![1]));
    });
  }
}
