/**
 * Every architecture in the catalog trains: a few Adam steps on one fixed batch of four small inputs
 * (with the small-input adaptation where there is one; sizes chosen below) bring the training loss
 * down, GoogLeNet's auxiliary heads included, and leak no tensors. Runs on the engine the package
 * would train on (initEngine: wasm with our training kernels here). About 100 s of CPU: the time goes
 * into drawing and updating the 20 to 60 million weights of the big variants.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { initEngine } from '../src/engine/index.js';
import { getVariant } from '../src/models/catalog-info.js';
import { buildModel, disposeBuiltModel, listArchitectures, minInputSize } from '../src/models/index.js';
import { spatialPlan } from '../src/models/families/index.js';
import { pathOutputLength } from '../src/models/spatial.js';
import type { ArchitectureInfo, BuildOptions } from '../src/types.js';

/**
 * Each step costs about 30 s of CPU over the whole catalog (Adam's update of 540 million weights in
 * all), hence three: the loss after two updates must be below the first.
 */
const STEPS = 3;
/**
 * Adam's first steps move every weight by about the learning rate, whatever its gradient: with 20 to
 * 60 million weights that is a big step. At 1e-3 AlexNet and VGG diverge; at 1e-4 the 101- and
 * 152-layer ResNets still go up before they go down; 2e-5 lowers every loss from the first update.
 */
const LEARNING_RATE = 2e-5;
const CLASSES = 2;
const LABELS = [0, 1, 0, 1];
const AUX_LOSS_WEIGHT = 0.3;
/** CIFAR-style networks could go smaller still, but below 8x8 there is little left to exercise. */
const SMALLEST_SIDE = 8;
/**
 * Deep batch-norm networks get the smallest input whose last feature map is still 2x2: at 1x1, batch
 * norm over a batch of four values amplifies tiny weight changes so much that the loss of a 50- to
 * 150-layer network jumps around whatever the step size. The shallow ones (LeNet, AlexNet, VGG) train
 * fine at their minimum.
 */
const DEEP_FAMILIES = new Set(['googlenet', 'inception', 'resnet', 'densenet']);

function smallestSide(info: ArchitectureInfo, options: BuildOptions): number {
  const variant = getVariant(info.name);
  const plan = spatialPlan(variant.config, { auxLogits: options.auxLogits ?? true, smallInput: options.smallInput ?? false });
  let side = Math.max(SMALLEST_SIDE, minInputSize(info.name, options));
  if (DEEP_FAMILIES.has(info.family)) while (pathOutputLength(plan[0], side) < 2) side++;
  return side;
}

/** The smallest sensible build of `info`: its small-input adaptation if it has one, dropout off. */
function smallBuild(info: ArchitectureInfo): BuildOptions {
  const options: BuildOptions = { inputShape: [0, 0, 3], classes: CLASSES };
  if (info.options.includes('smallInput')) options.smallInput = true;
  // Dropout off: on one fixed batch the loss is then a function of the weights alone.
  if (info.options.includes('dropout')) options.dropout = 0;
  // Inception v3's auxiliary head alone needs 299x299 (GoogLeNet's heads do train here).
  if (info.name === 'inception_v3') options.auxLogits = false;
  const side = smallestSide(info, options);
  options.inputShape = [side, side, info.family === 'lenet' ? 1 : 3];
  return options;
}

let randomBefore: () => number;
before(async () => {
  randomBefore = Math.random;
  await initEngine();
});
after(() => {
  Math.random = randomBefore;
});

function lossOf(outputs: tf.Tensor | tf.Tensor[], labels: tf.Tensor): tf.Scalar {
  const [main, ...aux] = Array.isArray(outputs) ? outputs : [outputs];
  let loss = tf.losses.softmaxCrossEntropy(labels, main) as tf.Scalar;
  for (const head of aux) loss = tf.add(loss, tf.mul(AUX_LOSS_WEIGHT, tf.losses.softmaxCrossEntropy(labels, head)));
  return loss;
}

for (const info of listArchitectures()) {
  const options = smallBuild(info);
  const [h, w, c] = options.inputShape;
  test(`${info.name} trains at ${h}x${w}x${c}${options.smallInput ? ' (smallInput)' : ''}: loss decreases`, async (t) => {
    // Weight initialisers and dropout draw from Math.random: seed it so the run is repeatable.
    seedrandom(`models-train/${info.name}`, { global: true });
    const tensorsBefore = tf.memory().numTensors;
    const built = buildModel(info.name, options);
    const x = tf.randomUniform([LABELS.length, h, w, c]);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(LABELS, 'int32'), CLASSES));
    const optimizer = tf.train.adam(LEARNING_RATE);
    const variables = built.training.trainableWeights.map((weight) => weight.read() as tf.Variable);
    const losses: number[] = [];
    try {
      for (let step = 0; step < STEPS; step++) {
        const loss = optimizer.minimize(() => lossOf(built.training.apply(x, { training: true }) as tf.Tensor[], labels), true, variables)!;
        losses.push((await loss.data())[0]);
        loss.dispose();
      }
    } finally {
      optimizer.dispose();
      tf.dispose([x, labels]);
      disposeBuiltModel(built);
    }
    t.diagnostic(`losses: ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    assert.ok(losses.every(Number.isFinite), `losses: ${losses}`);
    assert.ok(losses[STEPS - 1] < losses[0], `loss did not decrease: ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
  });
}
