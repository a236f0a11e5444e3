/**
 * Prediction with an exported model: inputs are pixels in [0, 1] of the model's input shape (the model
 * applies its own normalisation), outputs are the softmax probabilities and the top classes of each.
 */
import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import type { InputShape } from '../types.js';

export interface ClassScore {
  index: number;
  class: string;
  probability: number;
}

/** Examples run through the model at once: bounds the activations' memory for large requests. */
const CHUNK = 32;

/** Probabilities of each input, row by row (inputs.length x classes). */
export function predictProbabilities(model: tf.LayersModel, inputs: Float32Array[], shape: InputShape): Float32Array[] {
  const perExample = shape[0] * shape[1] * shape[2];
  for (const input of inputs) {
    if (input.length !== perExample) {
      throw new CnnError('invalid_option', `An input has ${input.length} values; the model takes ${shape.join('x')} = ${perExample}.`);
    }
  }
  const rows: Float32Array[] = [];
  for (let start = 0; start < inputs.length; start += CHUNK) {
    const chunk = inputs.slice(start, start + CHUNK);
    const batch = new Float32Array(chunk.length * perExample);
    chunk.forEach((input, i) => batch.set(input, i * perExample));
    const output = tf.tidy(() => model.predict(tf.tensor4d(batch, [chunk.length, ...shape])) as tf.Tensor);
    try {
      const values = output.dataSync() as Float32Array;
      const classes = values.length / chunk.length;
      for (let i = 0; i < chunk.length; i++) rows.push(values.slice(i * classes, (i + 1) * classes));
    } finally {
      output.dispose();
    }
  }
  return rows;
}

/** The k most probable classes, most probable first; ties keep the lower index first. */
export function topClasses(probabilities: Float32Array, classNames: readonly string[], k: number): ClassScore[] {
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((index) => ({
    index,
    class: classNames[index] ?? String(index),
    probability: probabilities[index],
  }));
}
