/**
 * Turns a catalog entry and checked options into a BuiltModel: the optional normalisation layer, the
 * family's network, a training model with every head and an inference model with the main head and a
 * softmax, both over the same layers.
 */
import * as tf from '@tensorflow/tfjs';
import type { BuildOptions, BuiltModel } from '../types.js';
import { buildAlexNet } from './alexnet.js';
import { getVariant, validateBuildOptions } from './catalog-info.js';
import { buildDenseNet } from './densenet.js';
import { buildGoogLeNet } from './googlenet.js';
import type { Heads } from './heads.js';
import { buildInceptionV3 } from './inception-v3.js';
import { applyLayer, buildSession, type Tensor } from './layers.js';
import { buildLeNet5 } from './lenet.js';
import { normalize } from './normalization.js';
import { reportedOptions, type ResolvedOptions } from './options.js';
import { buildResNet } from './resnet.js';
import type { ConfigOf, Family, Variant } from './families/index.js';
import { buildVgg } from './vgg.js';

/** Name of the inference model's last layer. */
export const PROBABILITIES_LAYER = 'probabilities';
export const INPUT_LAYER = 'input';

type FamilyBuilder<F extends Family> = (x: Tensor, config: ConfigOf<F>, options: ResolvedOptions) => Heads;

/** Each family's tfjs builder, registered once (its tfjs-free descriptor is in families/). */
const BUILDERS: { readonly [F in Family]: FamilyBuilder<F> } = {
  lenet: (x, _config, options) => buildLeNet5(x, options),
  alexnet: (x, _config, options) => buildAlexNet(x, options),
  vgg: buildVgg,
  googlenet: (x, _config, options) => buildGoogLeNet(x, options),
  inception: (x, _config, options) => buildInceptionV3(x, options),
  resnet: buildResNet,
  densenet: buildDenseNet,
};

function buildHeads(x: Tensor, variant: Variant, options: ResolvedOptions): Heads {
  const build = BUILDERS[variant.config.family] as FamilyBuilder<Family>;
  return build(x, variant.config as never, options);
}

/**
 * Builds without checking the input size (the catalog's check comes first in buildModel); exported
 * for the test that holds the size arithmetic and the layers to each other.
 */
export function assembleModel(variant: Variant, options: ResolvedOptions, zeroWeights = false): BuiltModel {
  return buildSession(zeroWeights, () => {
    const input = tf.input({ name: INPUT_LAYER, shape: options.inputShape });
    const x = options.normalization === null ? input : normalize(input, options.normalization);
    const heads = buildHeads(x, variant, options);
    const training = tf.model({ name: variant.name, inputs: input, outputs: [heads.logits, ...heads.auxLogits] });
    const softmax = tf.layers.activation({ name: PROBABILITIES_LAYER, activation: 'softmax' });
    const inference = tf.model({
      name: `${variant.name}_inference`,
      inputs: input,
      outputs: applyLayer(softmax, heads.logits),
    });
    return {
      architecture: variant.name,
      options: reportedOptions(variant, options) as BuiltModel['options'],
      training,
      inference,
      auxOutputs: heads.auxLogits.length,
    };
  });
}

/**
 * Builds a catalog architecture. Options are checked before any layer exists: unknown architecture
 * (unknown_architecture), bad option types or ranges (invalid_option), an input smaller than the
 * architecture takes (input_too_small).
 *
 * `training` outputs logits, main first then auxiliary ones (GoogLeNet, Inception v3 with auxLogits);
 * call it with `{ training: true }` so that dropout and batch norm train. `inference` shares every
 * layer and outputs softmax probabilities of the main head only: it is the model to export. Dispose
 * with disposeBuiltModel (the training model owns every layer with weights).
 */
export function buildModel(name: string, options: BuildOptions): BuiltModel {
  const variant = getVariant(name);
  return assembleModel(variant, validateBuildOptions(name, options));
}

/** Frees every weight of a built model (both of its models: they share the layers). */
export function disposeBuiltModel(model: BuiltModel): void {
  model.training.dispose();
}

export function countTrainableParameters(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, weight) => sum + tf.util.sizeFromShape(weight.shape as number[]), 0);
}

/**
 * Trainable parameters of `name` built with `options`, from the very same builder but with weights
 * created as zeros (no random initialisation), then freed: cheap enough for every variant at its
 * native size, e.g. for `trainyard models`.
 */
export function architectureParameterCount(name: string, options: BuildOptions): number {
  const model = assembleModel(getVariant(name), validateBuildOptions(name, options), true);
  try {
    return countTrainableParameters(model.training);
  } finally {
    disposeBuiltModel(model);
  }
}
