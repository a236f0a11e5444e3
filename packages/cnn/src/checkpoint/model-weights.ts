import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import type { SavedArray } from './format.js';

/**
 * Every weight of `model` (trainable ones and batch-norm moving statistics), in model.weights order,
 * named by their original (not uniquified) names so that a model rebuilt in another process matches.
 */
export async function readModelWeights(model: tf.LayersModel): Promise<SavedArray[]> {
  const out: SavedArray[] = [];
  for (const weight of model.weights) {
    const value = weight.read();
    const dtype = value.dtype === 'int32' ? 'int32' : 'float32';
    out.push({ name: weight.originalName, shape: value.shape.slice(), dtype, data: (await value.data()) as Float32Array | Int32Array });
  }
  return out;
}

/**
 * Writes saved weights back, matched by name (model.weights lists trainable weights first, so its order
 * changes while layers are frozen); the names and shapes must be the model's exactly.
 */
export function writeModelWeights(model: tf.LayersModel, saved: SavedArray[]): void {
  const weights = model.weights;
  if (weights.length !== saved.length) {
    throw new CnnError('checkpoint_invalid', `The checkpoint holds ${saved.length} weights, the model has ${weights.length}.`);
  }
  const byName = new Map(saved.map((array) => [array.name, array]));
  const pairs = weights.map((weight) => {
    const array = byName.get(weight.originalName);
    if (!array || !tf.util.arraysEqual(array.shape, weight.shape as number[])) {
      throw new CnnError(
        'checkpoint_invalid',
        array
          ? `Checkpoint weight ${array.name} is [${array.shape}], the model expects [${weight.shape}].`
          : `The checkpoint has no weight ${weight.originalName}.`,
      );
    }
    return [weight, array] as const;
  });
  tf.tidy(() => {
    for (const [weight, array] of pairs) weight.write(tf.tensor(array.data, array.shape, array.dtype));
  });
}
