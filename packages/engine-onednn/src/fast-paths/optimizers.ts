/**
 * Adam, SGD and momentum updates of all of a model's variables in one native call, in place, on the
 * onednn backend. tfjs's applyGradients runs about fifteen kernels per variable (Adam): at a few
 * milliseconds per LeNet-5 step that decides the speed. The optimizer's state stays exactly where and
 * what tfjs keeps (moment variables named `<variable>/m` etc., created at the first update), so
 * getWeights/setWeights and checkpoints are unchanged; the arithmetic is the same float32 operations
 * in the same order. Whenever in-place update is not possible (a variable's storage shared with
 * another tensor, another dtype), the optimizer's own code runs.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { activeOnednn } from './active.js';

type VariableGradients = tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>;

interface State {
  originalName: string;
  variable: tf.Variable;
}

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: State[];
  accumulatedSecondMoment: State[];
  incrementIterations(): void;
}

interface MomentumInternals {
  learningRate: number;
  m: tf.Scalar;
  useNesterov: boolean;
  accumulations: State[];
  incrementIterations(): void;
}

interface Update {
  value: tf.Variable;
  gradient: tf.Tensor;
  index: number;
}

/** The variables that have a gradient, in the optimizer's positional order. */
function updates(variableGradients: VariableGradients): { names: string[]; list: Update[] } {
  const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
  const list: Update[] = [];
  names.forEach((name, index) => {
    const gradient = Array.isArray(variableGradients) ? variableGradients[index].tensor : variableGradients[name];
    if (gradient == null) return;
    list.push({ value: tf.engine().registeredVariables[name], gradient, index });
  });
  return { names, list };
}

/** Creates missing state variables the way tfjs does (zeros, not trainable, named after the variable). */
function ensureState(states: State[], names: string[], suffix: string): void {
  names.forEach((name, i) => {
    if (states[i] == null) {
      const value = tf.engine().registeredVariables[name];
      states[i] = { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    }
  });
}

function inPlace(backend: OnednnBackend, tensors: tf.Tensor[]): boolean {
  return tensors.every((t) => t.dtype === 'float32' && backend.prepareInPlace(t));
}

function sameShapes(list: Update[]): boolean {
  return list.every(({ value, gradient }) => value.dtype === 'float32' && gradient.dtype === 'float32' && value.size === gradient.size);
}

/** beta^t *= beta in place (tfjs: accBeta.assign(mul(accBeta, beta))). */
function multiplyScalar(backend: OnednnBackend, variable: tf.Variable, factor: number): void {
  if (backend.prepareInPlace(variable)) {
    const values = backend.floats(variable);
    values[0] = Math.fround(values[0] * Math.fround(factor));
  } else {
    tf.tidy(() => variable.assign(tf.mul(variable, factor)));
  }
}

function adam(optimizer: AdamInternals, variableGradients: VariableGradients): boolean {
  const backend = activeOnednn();
  if (backend === null) return false;
  const { names, list } = updates(variableGradients);
  if (!sameShapes(list)) return false;
  ensureState(optimizer.accumulatedFirstMoment, names, 'm');
  ensureState(optimizer.accumulatedSecondMoment, names, 'v');
  const first = list.map((u) => optimizer.accumulatedFirstMoment[u.index].variable);
  const second = list.map((u) => optimizer.accumulatedSecondMoment[u.index].variable);
  if (!inPlace(backend, [...list.map((u) => u.value), ...first, ...second])) return false;
  const accBeta1 = backend.floats(optimizer.accBeta1)[0];
  const accBeta2 = backend.floats(optimizer.accBeta2)[0];
  backend.native.adamUpdate(
    list.map((u) => backend.floats(u.value)),
    list.map((u) => backend.floats(u.gradient)),
    first.map((v) => backend.floats(v)),
    second.map((v) => backend.floats(v)),
    optimizer.learningRate,
    optimizer.beta1,
    optimizer.beta2,
    optimizer.epsilon,
    accBeta1,
    accBeta2,
  );
  multiplyScalar(backend, optimizer.accBeta1, optimizer.beta1);
  multiplyScalar(backend, optimizer.accBeta2, optimizer.beta2);
  optimizer.incrementIterations();
  return true;
}

function momentum(optimizer: MomentumInternals, variableGradients: VariableGradients): boolean {
  const backend = activeOnednn();
  if (backend === null) return false;
  const { names, list } = updates(variableGradients);
  if (!sameShapes(list)) return false;
  ensureState(optimizer.accumulations, names, 'momentum');
  const accumulations = list.map((u) => optimizer.accumulations[u.index].variable);
  if (!inPlace(backend, [...list.map((u) => u.value), ...accumulations])) return false;
  const factor = backend.floats(optimizer.m)[0];
  backend.native.momentumUpdate(
    list.map((u) => backend.floats(u.value)),
    list.map((u) => backend.floats(u.gradient)),
    accumulations.map((v) => backend.floats(v)),
    optimizer.learningRate,
    factor,
    optimizer.useNesterov ? 1 : 0,
  );
  optimizer.incrementIterations();
  return true;
}

function sgd(optimizer: { learningRate: number; incrementIterations(): void }, variableGradients: VariableGradients): boolean {
  const backend = activeOnednn();
  if (backend === null) return false;
  const { list } = updates(variableGradients);
  if (
    !sameShapes(list) ||
    !inPlace(
      backend,
      list.map((u) => u.value),
    )
  )
    return false;
  backend.native.momentumUpdate(
    list.map((u) => backend.floats(u.value)),
    list.map((u) => backend.floats(u.gradient)),
    [],
    optimizer.learningRate,
    0,
    0,
  );
  optimizer.incrementIterations();
  return true;
}

function patch<T>(prototype: { applyGradients(v: VariableGradients): void }, fast: (optimizer: T, v: VariableGradients) => boolean): void {
  const original = prototype.applyGradients;
  prototype.applyGradients = function (this: T, variableGradients: VariableGradients) {
    if (!fast(this, variableGradients)) original.call(this, variableGradients);
  };
}

export function installOptimizers(): void {
  patch<AdamInternals>(tf.AdamOptimizer.prototype, adam);
  patch<MomentumInternals>(tf.MomentumOptimizer.prototype, momentum);
  patch<{ learningRate: number; incrementIterations(): void }>(tf.SGDOptimizer.prototype, sgd);
}
