/**
 * Small, real pieces for the training tests: a learnable synthetic split and a tiny CNN with batch
 * norm, dropout and an optional auxiliary head, so every code path of the trainer runs in seconds.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { Batch, CheckpointStore, InputShape, Split } from '../src/types.js';

/**
 * Images whose class decides which quadrant is bright, plus noise: learnable by a small CNN in a few
 * epochs, hard enough that accuracy is not trivially 1 after one step.
 */
export function quadrantSplit(size: number, inputShape: InputShape, classes: number, seed: number): Split {
  const [h, w, c] = inputShape;
  const random = seedrandom.alea(`quadrants-${seed}`);
  const labels = Int32Array.from({ length: size }, (_, i) => i % classes);
  const pixels = new Float32Array(size * h * w * c);
  for (let i = 0; i < size; i++) {
    const label = labels[i];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const quadrant = (y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1);
        const bright = quadrant === label % 4 ? 0.6 : 0.2;
        for (let ch = 0; ch < c; ch++) {
          const value = bright + (label >= 4 && ch === 0 ? 0.2 : 0) + (random() - 0.5) * 0.4;
          pixels[((i * h + y) * w + x) * c + ch] = Math.min(1, Math.max(0, value));
        }
      }
    }
  }
  const per = h * w * c;
  return {
    size,
    read(indices: ArrayLike<number>): Batch {
      const x = new Float32Array(indices.length * per);
      const y = new Int32Array(indices.length);
      for (let k = 0; k < indices.length; k++) {
        x.set(pixels.subarray(indices[k] * per, (indices[k] + 1) * per), k * per);
        y[k] = labels[indices[k]];
      }
      return { x, y, size: indices.length };
    },
    labels: () => labels.slice(),
  };
}

export interface TinyModel {
  training: tf.LayersModel;
  inference: tf.LayersModel;
}

/** conv(4) - batch norm - relu - max pool - flatten - dropout - dense(classes) [+ an auxiliary dense head]. */
export function tinyModel(inputShape: InputShape, classes: number, options: { aux?: boolean; prefix?: string } = {}): TinyModel {
  const p = options.prefix ?? 'tiny';
  const input = tf.input({ shape: inputShape, name: `${p}_input` });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: `${p}_conv` }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: `${p}_bn` }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: `${p}_relu` }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: `${p}_pool` }).apply(x) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: `${p}_flatten` }).apply(x) as tf.SymbolicTensor;
  const dropped = tf.layers.dropout({ rate: 0.2, name: `${p}_dropout` }).apply(flat) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: classes, name: `${p}_fc` }).apply(dropped) as tf.SymbolicTensor;
  const outputs = [logits];
  if (options.aux) outputs.push(tf.layers.dense({ units: classes, name: `${p}_aux_fc` }).apply(flat) as tf.SymbolicTensor);
  const probabilities = tf.layers.activation({ activation: 'softmax', name: 'probabilities' }).apply(logits) as tf.SymbolicTensor;
  return {
    training: tf.model({ inputs: input, outputs, name: `${p}_training` }),
    inference: tf.model({ inputs: input, outputs: probabilities, name: `${p}_inference` }),
  };
}

/** A CheckpointStore in memory that keeps every checkpoint written. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly written: Array<{ bytes: Uint8Array; epoch: number; step: number }> = [];

  async write(bytes: Uint8Array, info: { epoch: number; step: number }): Promise<void> {
    this.written.push({ bytes: bytes.slice(), ...info });
  }

  async readLatest(): Promise<Uint8Array | null> {
    return this.written.at(-1)?.bytes ?? null;
  }

  async readEpoch(epoch: number): Promise<Uint8Array | null> {
    return this.written.findLast((c) => c.epoch === epoch && c.step === 0)?.bytes ?? null;
  }
}

/** Every weight of a model as plain arrays, to compare two models exactly. */
export function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

export function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}
