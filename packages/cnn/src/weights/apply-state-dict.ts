/**
 * Loads a torchvision state_dict into a built model: checked first, tensor by tensor, against
 * torchvision's layout of the architecture (weights_mismatch lists every misfit), then written in
 * tfjs's layouts. Nothing is written unless everything fits.
 */
import * as tf from '@tensorflow/tfjs';
import type { BuiltModel } from '../types.js';
import { compareStateDict } from './compare-state-dict.js';
import { modelTensors } from './model-tensors.js';
import type { StateDict } from './state-dict.js';
import { checkPretrainedOptions, torchvisionStateDict } from './torchvision-state-dict.js';
import { mismatch, type TensorMismatch } from './weights-errors.js';

export interface ApplyStateDictOptions {
  architecture: string;
  /** Leave the classifiers (main and auxiliary) as initialised: fine-tuning to other classes. */
  skipClassifier: boolean;
}

export interface AppliedStateDict {
  /** Tensors written into the model. */
  loaded: number;
  /** Classifier tensors not loaded (skipClassifier), with both shapes. */
  skipped: TensorMismatch[];
  /** Model tensors the file lacks, left as initialised (auxiliary heads, num_batches_tracked). */
  missing: string[];
  /** File tensors the model has no place for (auxiliary heads of a model built without them). */
  ignored: string[];
}

function classesOf(model: tf.LayersModel): number {
  const units = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  if (typeof units !== 'number') throw new Error('the model has no fixed number of classes');
  return units;
}

/**
 * Writes `stateDict` into `model` (a BuiltModel, or its training model: the one with every head).
 * Throws CnnError: weights_mismatch (details.tensors: [{ name, expected, got }]), invalid_option
 * (an architecture without torchvision weights, or built with smallInput).
 */
export function applyStateDict(model: BuiltModel | tf.LayersModel, stateDict: StateDict, options: ApplyStateDictOptions): AppliedStateDict {
  const built = model instanceof tf.LayersModel ? null : model;
  const training = built === null ? (model as tf.LayersModel) : built.training;
  checkPretrainedOptions(options.architecture, built?.options ?? {});
  const tensors = modelTensors(training);
  const expected = torchvisionStateDict(options.architecture, {
    classes: classesOf(training),
    auxLogits: training.outputs.length > 1,
  });
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const parameters = expected.filter((t) => t.role !== 'num_batches_tracked');
  const misfits = parameters.filter((t) => byName.get(t.name)?.torchShape.join() !== t.shape.join());
  if (misfits.length > 0 || byName.size !== parameters.length) {
    // The model is not the architecture it is said to be (or was built with other options).
    throw mismatch(
      options.architecture,
      misfits.map((t) => ({ name: t.name, expected: t.shape, got: byName.get(t.name)?.torchShape ?? null })),
    );
  }
  const comparison = compareStateDict(expected, stateDict, { skipClassifier: options.skipClassifier });
  if (comparison.mismatches.length > 0) throw mismatch(options.architecture, comparison.mismatches);
  const notLoaded = new Set([...comparison.skipped.map((t) => t.name), ...comparison.missing]);
  let loaded = 0;
  for (const tensor of tensors) {
    if (notLoaded.has(tensor.name)) continue;
    const source = stateDict.get(tensor.name)!;
    tf.tidy(() => {
      tensor.variable.write(tensor.fromTorch(tf.tensor(source.data as Float32Array, source.shape, 'float32')));
    });
    loaded++;
  }
  return { loaded, skipped: comparison.skipped, missing: comparison.missing, ignored: comparison.ignored };
}
