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

/** Writes saved weights back; names and shapes must match the model's exactly. */
export function writeModelWeights(model: tf.LayersModel, saved: SavedArray[]): void {
  const weights = model.weights;
  if (weights.length !== saved.length) {
    throw new CnnError('checkpoint_invalid', `The checkpoint holds ${saved.length} weights, the model has ${weights.length}.`);
  }
  weights.forEach((weight, i) => {
    const array = saved[i];
    if (array.name !== weight.originalName || !tf.util.arraysEqual(array.shape, weight.shape as number[])) {
      throw new CnnError(
        'checkpoint_invalid',
        `Checkpoint weight ${i} is ${array.name} [${array.shape}], the model expects ${weight.originalName} [${weight.shape}].`,
      );
    }
  });
  tf.tidy(() => {
    weights.forEach((weight, i) => weight.write(tf.tensor(saved[i].data, saved[i].shape, saved[i].dtype)));
  });
}
