/**
 * Shared by the tests: run the same computation on the cpu backend and on onednn and compare, and
 * count the native calls a computation makes (a kernel that silently fell back to the cpu backend
 * would otherwise pass every comparison).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { activateOnednnBackend, onednnUnavailableReason, type OnednnBackend } from '../src/index.js';

/**
 * Skips a suite when the addon is not built here (the build script printed why), except with CI=true
 * where libdnnl-dev is installed: there the addon must have built, and the suites fail if it did not.
 */
const libdnnlInstalled = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/include/dnnl.hpp'].some((header) => existsSync(header));
const unavailable = onednnUnavailableReason();
export const skipReason: string | false = unavailable === null || (process.env.CI === 'true' && libdnnlInstalled) ? false : unavailable;

export async function setUp(): Promise<void> {
  if (skipReason) return;
  if (unavailable) throw new Error(`the oneDNN addon did not build although libdnnl-dev is installed (CI=true): ${unavailable}`);
  await activateOnednnBackend();
  await tf.setBackend('cpu');
}

export type Computation = () => tf.Tensor | tf.Tensor[];

function flatten(result: tf.Tensor | tf.Tensor[]): Array<{ shape: number[]; values: Float32Array | Int32Array | Uint8Array }> {
  const list = Array.isArray(result) ? result : [result];
  return list.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
}

/** The computation's results on the cpu backend, then on onednn (inputs created before move over). */
export function onBoth(compute: Computation) {
  void tf.setBackend('cpu');
  const reference = tf.tidy(() => flatten(compute()));
  void tf.setBackend('onednn');
  const ours = tf.tidy(() => flatten(compute()));
  void tf.setBackend('cpu');
  return { reference, ours };
}

export interface Tolerance {
  /** |ours - cpu| <= absolute + relative * max|cpu| (per output, scaled by the output's largest value). */
  absolute?: number;
  relative?: number;
}

export function assertClose(
  label: string,
  reference: ReturnType<typeof flatten>,
  ours: ReturnType<typeof flatten>,
  { absolute = 1e-5, relative = 1e-4 }: Tolerance = {},
): void {
  assert.equal(ours.length, reference.length, `${label}: number of outputs`);
  reference.forEach((expected, k) => {
    const actual = ours[k];
    assert.deepEqual(actual.shape, expected.shape, `${label}: output ${k} shape`);
    let scale = 0;
    for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
    const bound = absolute + relative * scale;
    for (let i = 0; i < expected.values.length; i++) {
      const difference = Math.abs(actual.values[i] - expected.values[i]);
      if (!(difference <= bound) && !(Number.isNaN(actual.values[i]) && Number.isNaN(expected.values[i]))) {
        assert.fail(`${label}: output ${k}[${i}] is ${actual.values[i]}, cpu gives ${expected.values[i]} (bound ${bound})`);
      }
    }
  });
}

/** Compares onednn with cpu and checks that the named native functions ran on onednn. */
export function matchesCpu(label: string, compute: Computation, natives: string[], tolerance?: Tolerance): void {
  const calls = countNativeCalls(() => {
    const { reference, ours } = onBoth(compute);
    assertClose(label, reference, ours, tolerance);
  });
  for (const name of natives) assert.ok((calls.get(name) ?? 0) > 0, `${label}: native ${name} was not called (fell back to cpu?)`);
}

/** Calls to each native function while `run` runs. */
export function countNativeCalls(run: () => void): Map<string, number> {
  const previous = tf.getBackend();
  void tf.setBackend('onednn');
  const native = (tf.backend() as OnednnBackend).native as unknown as Record<string, (...args: unknown[]) => unknown>;
  void tf.setBackend(previous);
  const calls = new Map<string, number>();
  const originals = { ...native };
  for (const [name, fn] of Object.entries(originals)) {
    native[name] = (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return fn(...args);
    };
  }
  try {
    run();
  } finally {
    Object.assign(native, originals);
  }
  return calls;
}

/** A deterministic normal tensor (created on the cpu backend). */
export function normal(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() => tf.randomNormal(shape, 0, scale, 'float32', seed));
}

/**
 * Adam training steps of `model` on the onednn backend, on x and the labels 0, 1, 2, 1, ... (3
 * classes): after one step, `steps` more leave the tensor count where it was. Returns the native
 * calls those steps made.
 */
export function assertNoLeakedTensors(model: tf.LayersModel, x: tf.Tensor, steps: number): Map<string, number> {
  void tf.setBackend('onednn');
  const labels = tf.tidy(() =>
    tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: x.shape[0] }, (_, i) => (i % 4 === 3 ? 1 : i % 4)),
          'int32',
        ),
        3,
      )
      .toFloat(),
  );
  const optimizer = tf.train.adam(0.01);
  const loss = () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
  const step = () => tf.dispose(optimizer.minimize(loss, true) ?? []);
  step();
  const tensors = tf.memory().numTensors;
  const calls = countNativeCalls(() => {
    for (let i = 0; i < steps; i++) step();
  });
  assert.equal(tf.memory().numTensors, tensors, 'tensors after the steps');
  optimizer.dispose();
  labels.dispose();
  return calls;
}
