/**
 * Whole models from @trainyard/cnn trained on onednn follow the cpu backend.
 *
 * LeNet-5 runs 20 Adam steps from the same weights on both engines; every step's loss must agree
 * within 0.1%. ResNet-20, DenseNet-BC and GoogLeNet (auxiliary heads on) are tested at inputs small
 * enough for the cpu backend (its convolution gradient takes seconds per step even so), where their
 * last stages are 1x1 or 2x2: batch norm over a handful of values turns rounding into noise that
 * compounds step after step on either engine, so two free runs drift apart by percents within a few
 * steps. There every step starts from the cpu run's weights ("teacher forcing"): the step's loss must
 * agree within 0.01% and its weight update within 0.1% (global L2 norm of the difference).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel, seedGlobalRandom, type BuildOptions } from '@trainyard/cnn';
import { countNativeCalls, setUp, skipReason } from './helpers.js';

interface Setup {
  model: tf.LayersModel;
  batches: Array<{ x: tf.Tensor; y: tf.Tensor }>;
}

function prepare(architecture: string, options: BuildOptions, batch: number): Setup {
  void tf.setBackend('cpu');
  seedGlobalRandom(`${architecture}-weights`);
  const model = buildModel(architecture, options).training;
  const batches = [0, 1].map((i) =>
    tf.tidy(() => ({
      x: tf.randomNormal([batch, ...options.inputShape], 0, 1, 'float32', 10 + i),
      y: tf.oneHot(tf.randomUniformInt([batch], 0, options.classes, 20 + i), options.classes).toFloat(),
    })),
  );
  return { model, batches };
}

/** One optimizer step as the trainer takes it: main loss plus 0.3 x each auxiliary head's. */
function step(setup: Setup, optimizer: tf.Optimizer, index: number): number {
  seedGlobalRandom(`dropout-${index}`);
  const { x, y } = setup.batches[index % setup.batches.length];
  const loss = optimizer.minimize(() => {
    const outputs = setup.model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
    const [main, ...aux] = Array.isArray(outputs) ? outputs : [outputs];
    let total = tf.losses.softmaxCrossEntropy(y, main);
    for (const logits of aux) total = total.add(tf.losses.softmaxCrossEntropy(y, logits).mul(0.3));
    return total as tf.Scalar;
  }, true)!;
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}

function release(setup: Setup): void {
  setup.model.dispose();
  for (const { x, y } of setup.batches) tf.dispose([x, y]);
}

function relativeDifference(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
}

/** Both engines train `steps` steps from the same weights; returns the two loss curves. */
function freeRunning(setup: Setup, steps: number, learningRate: number): { cpu: number[]; ours: number[] } {
  const initial = tf.tidy(() => setup.model.getWeights().map((w) => w.clone()));
  const run = (backend: string): number[] => {
    void tf.setBackend(backend);
    setup.model.setWeights(initial);
    const optimizer = tf.train.adam(learningRate);
    const losses = Array.from({ length: steps }, (_, i) => step(setup, optimizer, i));
    optimizer.dispose();
    return losses;
  };
  const cpu = run('cpu');
  const ours = run('onednn');
  void tf.setBackend('cpu');
  tf.dispose(initial);
  return { cpu, ours };
}

/** |ours - cpu| / |cpu| of the weight updates over all weights (L2 norms). */
function updateDifference(start: Float32Array[], cpu: Float32Array[], ours: Float32Array[]): number {
  let difference = 0;
  let size = 0;
  start.forEach((initial, k) => {
    for (let i = 0; i < initial.length; i++) {
      difference += (ours[k][i] - cpu[k][i]) ** 2;
      size += (cpu[k][i] - initial[i]) ** 2;
    }
  });
  return Math.sqrt(difference) / Math.max(Math.sqrt(size), 1e-12);
}

/** Every step starts from the cpu run's weights on both engines (SGD: no optimizer state to carry). */
function teacherForced(setup: Setup, steps: number, learningRate: number) {
  const cpuOptimizer = tf.train.sgd(learningRate);
  const ourOptimizer = tf.train.sgd(learningRate);
  const losses: Array<{ cpu: number; ours: number; update: number }> = [];
  const read = () => setup.model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  for (let i = 0; i < steps; i++) {
    void tf.setBackend('cpu');
    const start = tf.tidy(() => setup.model.getWeights().map((w) => w.clone()));
    const startWeights = read();
    const cpu = step(setup, cpuOptimizer, i);
    const cpuWeights = read();
    const cpuTensors = tf.tidy(() => setup.model.getWeights().map((w) => w.clone()));
    void tf.setBackend('onednn');
    setup.model.setWeights(start);
    const ours = step(setup, ourOptimizer, i);
    const ourWeights = read();
    void tf.setBackend('cpu');
    setup.model.setWeights(cpuTensors);
    tf.dispose([...start, ...cpuTensors]);
    losses.push({ cpu, ours, update: updateDifference(startWeights, cpuWeights, ourWeights) });
  }
  cpuOptimizer.dispose();
  ourOptimizer.dispose();
  return losses;
}

describe('whole models train on onednn as on the cpu backend', { skip: skipReason }, () => {
  before(setUp);

  it("lenet5: 20 Adam steps, every loss within 0.1% of the cpu's", () => {
    const setup = prepare('lenet5', { inputShape: [28, 28, 1], classes: 10 }, 4);
    let curves = { cpu: [] as number[], ours: [] as number[] };
    const calls = countNativeCalls(() => {
      curves = freeRunning(setup, 20, 1e-3);
    });
    release(setup);
    curves.cpu.forEach((loss, i) => {
      assert.ok(relativeDifference(curves.ours[i], loss) < 1e-3, `step ${i}: loss ${curves.ours[i]} on onednn, ${loss} on cpu`);
    });
    assert.ok(curves.cpu[19] < curves.cpu[0], 'the loss decreases');
    // The first update takes tfjs's path: setWeights left the variables sharing storage.
    for (const native of ['convPoolForward', 'convPoolBackward', 'denseBackward', 'adamUpdate', 'softmaxCrossEntropy']) {
      assert.ok((calls.get(native) ?? 0) >= 19, `${native} ran natively`);
    }
  });

  const forcedCases: Array<[string, BuildOptions, number, number]> = [
    ['resnet20', { inputShape: [8, 8, 3], classes: 10 }, 2, 20],
    ['densenet_bc_40', { inputShape: [8, 8, 3], classes: 10 }, 2, 20],
    ['googlenet', { inputShape: [15, 15, 3], classes: 10, auxLogits: true }, 2, 20],
  ];
  for (const [architecture, options, batch, steps] of forcedCases) {
    it(`${architecture}: ${steps} SGD steps from the cpu run's weights give its losses (0.01%) and updates (0.1%)`, () => {
      const setup = prepare(architecture, options, batch);
      let results: ReturnType<typeof teacherForced> = [];
      const calls = countNativeCalls(() => {
        results = teacherForced(setup, steps, 0.01);
      });
      release(setup);
      results.forEach(({ cpu, ours, update }, i) => {
        assert.ok(relativeDifference(ours, cpu) < 1e-4, `step ${i}: loss ${ours} on onednn, ${cpu} on cpu`);
        assert.ok(update < 1e-3, `step ${i}: the weight update differs by ${update} (relative)`);
      });
      assert.ok(results[steps - 1].cpu < results[0].cpu, 'the loss decreases');
      const specific = architecture === 'resnet20' ? ['pad', 'slice'] : ['concat', 'split', 'poolBackward'];
      for (const native of ['conv2dForward', 'batchNormTraining', 'batchNormBackward', ...specific]) {
        assert.ok((calls.get(native) ?? 0) >= steps, `${native} ran natively`);
      }
    });
  }
});
