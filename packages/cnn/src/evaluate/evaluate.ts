import * as tf from '@tensorflow/tfjs';
import { CnnError } from '../errors.js';
import type { Evaluation, Split } from '../types.js';
import { perClassMetrics } from './metrics.js';

export interface EvaluateOptions {
  classNames: string[];
  /** Examples per forward pass. */
  batchSize: number;
  /** Which examples of the split to evaluate (default: all, in order). */
  indices?: Int32Array;
}

/**
 * The model restricted to its first output (the main logits), sharing its layers: evaluating it skips
 * the auxiliary heads, as torchvision's GoogLeNet and Inception v3 do in eval mode. Never dispose the
 * result separately (it owns nothing).
 */
export function mainOutputModel(model: tf.LayersModel): tf.LayersModel {
  return model.outputs.length === 1 ? model : tf.model({ inputs: model.inputs, outputs: model.outputs[0] });
}

/**
 * Loss (softmax cross-entropy, no label smoothing), top-1 and top-5 accuracy, per-class metrics and
 * the confusion matrix of a model over a split, streamed batch by batch in inference mode (batch norm
 * uses its moving statistics, dropout is off). `model`'s first output must be the main logits.
 * With 5 classes or fewer, top-5 counts all of them and is therefore 1.
 */
export async function evaluateModel(model: tf.LayersModel, split: Split, options: EvaluateOptions): Promise<Evaluation> {
  const { classNames, batchSize } = options;
  const classes = classNames.length;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new CnnError('invalid_option', `evaluation batchSize must be a positive integer; got ${batchSize}.`);
  }
  const indices = options.indices ?? Int32Array.from({ length: split.size }, (_, i) => i);
  const k = Math.min(5, classes);
  const inputShape = (model.inputs[0].shape as number[]).slice(1) as [number, number, number];
  const confusionMatrix = classNames.map(() => new Array<number>(classes).fill(0));
  let lossSum = 0;
  let top1 = 0;
  let topK = 0;

  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = split.read(indices.subarray(start, start + batchSize));
    for (const label of batch.y) {
      if (!(label >= 0 && label < classes)) throw new CnnError('dataset_malformed', `label ${label} is outside the ${classes} classes`);
    }
    const [loss, ranked] = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [batch.size, ...inputShape]);
      const labels = tf.tensor1d(batch.y, 'int32');
      const output = model.apply(x, { training: false }) as tf.Tensor2D | tf.Tensor2D[];
      const logits = Array.isArray(output) ? output[0] : output;
      const targets = tf.oneHot(labels, classes).toFloat();
      const perExample = tf.losses.softmaxCrossEntropy(targets, logits, undefined, 0, tf.Reduction.NONE);
      return [perExample.sum(), tf.topk(logits, k).indices];
    });
    try {
      lossSum += (await loss.data())[0];
      const best = (await ranked.data()) as Int32Array;
      for (let i = 0; i < batch.size; i++) {
        const truth = batch.y[i];
        const row = best.subarray(i * k, (i + 1) * k);
        confusionMatrix[truth][row[0]] += 1;
        if (row[0] === truth) top1 += 1;
        if (row.includes(truth)) topK += 1;
      }
    } finally {
      tf.dispose([loss, ranked]);
    }
  }
  const examples = indices.length;
  return {
    loss: examples ? lossSum / examples : 0,
    top1: examples ? top1 / examples : 0,
    top5: examples ? topK / examples : 0,
    classNames: classNames.slice(),
    perClass: perClassMetrics(confusionMatrix, classNames),
    confusionMatrix,
    examples,
  };
}
