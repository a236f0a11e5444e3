import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../types.js';

/** What one step needs, prepared once per run. */
export interface StepContext {
  /** Outputs the main logits first, then any auxiliary logits. */
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  /** The trainable variables, always in the same order (optimizers match their state by position). */
  variables: tf.Variable[];
  /** Per variable: does weight decay apply (convolution and dense kernels only). */
  decayed: boolean[];
  classes: number;
  config: Pick<TrainConfig, 'labelSmoothing' | 'auxLossWeight' | 'gradientClipNorm' | 'weightDecay'>;
}

export interface StepResult {
  /** Mean loss over the batch (main plus weighted auxiliary losses). */
  loss: tf.Scalar;
  /** Number of examples whose main prediction is the label. */
  correct: tf.Scalar;
}

/** Trainable weights of a model (or those given, in that order) and which of them weight decay applies to. */
export function trainableVariables(
  model: tf.LayersModel,
  weights: tf.LayerVariable[] = model.trainableWeights,
): { variables: tf.Variable[]; decayed: boolean[] } {
  return {
    variables: weights.map((w) => w.read() as tf.Variable),
    decayed: weights.map((w) => /(^|\/|_)kernel$/.test(w.originalName)),
  };
}

/**
 * One optimizer step: forward in training mode (batch norm uses batch statistics and updates its
 * moving averages, dropout is on), softmax cross-entropy with label smoothing, gradients, then in
 * PyTorch's order: clip the global norm, add weight decay, update. Returns tensors the caller disposes.
 */
export function trainStep(context: StepContext, x: tf.Tensor4D, labels: tf.Tensor1D): StepResult {
  const { model, optimizer, variables, decayed, classes, config } = context;
  let correct: tf.Scalar | null = null;
  const loss = tf.tidy(() => {
    const targets = tf.oneHot(labels, classes).toFloat();
    const { value, grads } = tf.variableGrads(() => {
      const outputs = model.apply(x, { training: true }) as tf.Tensor2D | tf.Tensor2D[];
      const [main, ...aux] = Array.isArray(outputs) ? outputs : [outputs];
      correct = tf.keep(tf.equal(tf.argMax(main, 1), labels).sum().toFloat() as tf.Scalar);
      let total = crossEntropy(targets, main, config.labelSmoothing);
      for (const logits of aux) total = total.add(crossEntropy(targets, logits, config.labelSmoothing).mul(config.auxLossWeight));
      return total as tf.Scalar;
    }, variables);

    let gradients = variables.map((v) => grads[v.name]);
    if (config.gradientClipNorm > 0) gradients = clipByGlobalNorm(gradients, config.gradientClipNorm);
    if (config.weightDecay > 0) {
      gradients = gradients.map((g, i) => (decayed[i] && g ? g.add(variables[i].mul(config.weightDecay)) : g));
    }
    optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: gradients[i] })));
    return value;
  });
  return { loss, correct: correct! };
}

function crossEntropy(targets: tf.Tensor, logits: tf.Tensor, labelSmoothing: number): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(targets, logits, undefined, labelSmoothing, tf.Reduction.MEAN) as tf.Scalar;
}

/** torch.nn.utils.clip_grad_norm_: scale every gradient by min(1, maxNorm / (globalNorm + 1e-6)). */
function clipByGlobalNorm(gradients: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  const present = gradients.filter((g) => g != null);
  const norm = tf.sqrt(tf.addN(present.map((g) => tf.sum(tf.square(g)))));
  const scale = tf.minimum(1, tf.div(maxNorm, norm.add(1e-6)));
  return gradients.map((g) => (g == null ? g : g.mul(scale)));
}
