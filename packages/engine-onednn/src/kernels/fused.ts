/**
 * Kernels under this package's own names, used by the fast paths (src/fast-paths) while 'onednn' is
 * the active backend, with their gradients. Each replaces a chain of tfjs kernels forward and backward:
 *   _OnednnConv2D           convolution + bias + ReLU, also while recording gradients (tfjs only
 *                           fuses the ReLU outside training)
 *   _OnednnMatMul           the same for dense layers; backward, the filter and bias gradients in one
 *                           kernel and the input's in another, the ReLU mask applied inside both
 *   _OnednnConv2DMaxPool    a convolution (bias, ReLU) and the max pooling after it (conv-pool.ts)
 *   _OnednnBatchNormTraining batch statistics and normalisation in one pass; one backward pass
 *   _OnednnSoftmaxCrossEntropy  mean softmax cross-entropy over a batch of logits
 * Gradients are registered with tfjs globally, but these kernels exist only on this backend and only
 * the fast paths run them.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnednnBackend } from '../backend.js';
import { normParams } from './batch-norm.js';
import { Activation, conv2dInfo, convParams, fusedActivation } from './conv.js';
import { nativeKernel, sizeOf } from './kernel.js';
import { matMulPlan } from './mat-mul.js';

export const FUSED_KERNEL_NAMES = {
  conv2d: '_OnednnConv2D',
  conv2dBackpropInput: '_OnednnConv2DBackpropInput',
  conv2dBackpropFilter: '_OnednnConv2DBackpropFilter',
  biasGrad: '_OnednnBiasGrad',
  matMul: '_OnednnMatMul',
  matMulBackpropInput: '_OnednnMatMulBackpropInput',
  matMulBackpropWeights: '_OnednnMatMulBackpropWeights',
  convPool: '_OnednnConv2DMaxPool',
  convPoolBackpropInput: '_OnednnConv2DMaxPoolBackpropInput',
  convPoolBackpropWeights: '_OnednnConv2DMaxPoolBackpropWeights',
  reluBackward: '_OnednnReluBackward',
  batchNormTraining: '_OnednnBatchNormTraining',
  batchNormTrainingGrad: '_OnednnBatchNormTrainingGrad',
  softmaxCrossEntropy: '_OnednnSoftmaxCrossEntropy',
  softmaxCrossEntropyGrad: '_OnednnSoftmaxCrossEntropyGrad',
} as const;
const N = FUSED_KERNEL_NAMES;

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

export interface FusedConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation: 'linear' | 'relu';
}

function activationOf(name: string): Activation {
  const activation = fusedActivation(name);
  if (activation === null) throw new Error(`onednn: unsupported fused activation ${name}`);
  return activation;
}

export function run(kernelName: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

export function runAll(kernelName: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as unknown as tf.Tensor[];
}

// ---- convolution ----------------------------------------------------------------------------------

type ConvInputs = { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo };

const conv2d = nativeKernel<ConvInputs, FusedConvAttrs>(N.conv2d, ({ inputs: { x, filter, bias }, backend, attrs }) => {
  const info = conv2dInfo(x.shape, filter.shape, attrs);
  const y = backend.allocate(sizeOf(info.outShape));
  backend.native.conv2dForward(
    convParams(info, activationOf(attrs.activation), bias != null),
    backend.floats(x),
    backend.floats(filter),
    bias == null ? null : backend.floats(bias),
    y,
  );
  return backend.output(y, info.outShape);
});

type BackpropInputAttrs = FusedConvAttrs & { inputShape: number[] };
const conv2dBackpropInput = nativeKernel<{ dy: tf.TensorInfo; filter: tf.TensorInfo; y: tf.TensorInfo }, BackpropInputAttrs>(
  N.conv2dBackpropInput,
  ({ inputs: { dy, filter, y }, backend, attrs }) => {
    const activation = activationOf(attrs.activation);
    const info = conv2dInfo(attrs.inputShape, filter.shape, attrs);
    const dx = backend.allocate(sizeOf(info.inShape));
    backend.native.conv2dBackwardData(
      convParams(info, activation, false),
      backend.floats(dy),
      backend.floats(filter),
      dx,
      activation === Activation.Relu ? backend.floats(y) : null,
    );
    return backend.output(dx, info.inShape);
  },
);

type BackpropFilterAttrs = FusedConvAttrs & { filterShape: number[] };
const conv2dBackpropFilter = nativeKernel<{ x: tf.TensorInfo; dy: tf.TensorInfo; y: tf.TensorInfo }, BackpropFilterAttrs>(
  N.conv2dBackpropFilter,
  ({ inputs: { x, dy, y }, backend, attrs }) => {
    const activation = activationOf(attrs.activation);
    const info = conv2dInfo(x.shape, attrs.filterShape, attrs);
    const dFilter = backend.allocate(sizeOf(info.filterShape));
    backend.native.conv2dBackwardWeights(
      convParams(info, activation, false),
      backend.floats(x),
      backend.floats(dy),
      dFilter,
      activation === Activation.Relu ? backend.floats(y) : null,
    );
    return backend.output(dFilter, info.filterShape);
  },
);

/** Per-channel sums of dy (where y > 0 under a ReLU): the bias gradient. */
const biasGrad = nativeKernel<{ dy: tf.TensorInfo; y?: tf.TensorInfo }, { activation: string }>(
  N.biasGrad,
  ({ inputs: { dy, y }, backend, attrs }) => {
    const channels = dy.shape[dy.shape.length - 1];
    const out = backend.allocate(channels);
    const relu = activationOf(attrs.activation) === Activation.Relu;
    backend.native.columnSums(backend.floats(dy), channels, out, relu ? backend.floats(y!) : null);
    return backend.output(out, [channels]);
  },
);

tf.registerGradient({
  kernelName: N.conv2d,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved;
    const conv = attrs as unknown as FusedConvAttrs;
    const gradient = dy as tf.Tensor;
    return {
      x: () => run(N.conv2dBackpropInput, { dy: gradient, filter, y }, { ...conv, inputShape: x.shape }),
      filter: () => run(N.conv2dBackpropFilter, { x, dy: gradient, y }, { ...conv, filterShape: filter.shape }),
      bias: () => run(N.biasGrad, { dy: gradient, y }, { activation: conv.activation }),
    };
  },
});

// ---- dense ----------------------------------------------------------------------------------------

export interface FusedMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation: 'linear' | 'relu';
}

const matMul = nativeKernel<{ a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo }, FusedMatMulAttrs>(
  N.matMul,
  ({ inputs: { a, b, bias }, backend, attrs }) => {
    const plan = matMulPlan(a.shape, b.shape, attrs.transposeA, attrs.transposeB, bias != null, activationOf(attrs.activation));
    if (plan === null) throw new Error(`onednn: unsupported matMul shapes ${a.shape} x ${b.shape}`);
    const c = backend.allocate(sizeOf(plan.outShape));
    backend.native.matMul(plan.params, backend.floats(a), backend.floats(b), bias == null ? null : backend.floats(bias), c);
    return backend.output(c, plan.outShape);
  },
);

const reluBackward = nativeKernel<{ dy: tf.TensorInfo; y: tf.TensorInfo }, tf.NamedAttrMap>(
  N.reluBackward,
  ({ inputs: { dy, y }, backend }) => {
    const dx = backend.allocate(sizeOf(dy.shape));
    backend.native.reluBackward(backend.floats(dy), backend.floats(y), dx);
    return backend.output(dx, dy.shape);
  },
);

type DenseGradInputs = { a: tf.TensorInfo; b: tf.TensorInfo; dy: tf.TensorInfo; y: tf.TensorInfo };

/**
 * The gradients of a plain [M, K] x [K, N] dense layer in one native call, the ReLU mask applied
 * natively; the outputs not asked for are not computed.
 */
function denseBackward(
  backend: OnednnBackend,
  { a, b, dy, y }: DenseGradInputs,
  activation: string,
  outputs: { dA?: Float32Array; dB?: Float32Array; dBias?: Float32Array },
): void {
  const relu = activationOf(activation) === Activation.Relu;
  backend.native.denseBackward(
    Int32Array.of(1, 1, a.shape[0], a.shape[1], b.shape[1], 0, 0, 0, activationOf(activation)),
    backend.floats(a),
    backend.floats(b),
    backend.floats(dy),
    relu ? backend.floats(y) : null,
    outputs.dA ?? null,
    outputs.dB ?? null,
    outputs.dBias ?? null,
  );
}

/** dA of a plain dense layer. */
const matMulBackpropInput = nativeKernel<DenseGradInputs, { activation: string }>(N.matMulBackpropInput, ({ inputs, backend, attrs }) => {
  const dA = backend.allocate(sizeOf(inputs.a.shape));
  denseBackward(backend, inputs, attrs.activation, { dA });
  return backend.output(dA, inputs.a.shape);
});

/** [dB, dBias] of a plain dense layer in one native call. */
const matMulBackpropWeights = nativeKernel<DenseGradInputs, { activation: string }>(
  N.matMulBackpropWeights,
  ({ inputs, backend, attrs }) => {
    const { b } = inputs;
    const dB = backend.allocate(sizeOf(b.shape));
    const dBias = backend.allocate(b.shape[1]);
    denseBackward(backend, inputs, attrs.activation, { dB, dBias });
    return [backend.output(dB, b.shape), backend.output(dBias, [b.shape[1]])];
  },
);

tf.registerGradient({
  kernelName: N.matMul,
  inputsToSave: ['a', 'b'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [a, b, y] = saved;
    const { transposeA, transposeB, activation } = attrs as unknown as FusedMatMulAttrs;
    if (!transposeA && !transposeB && a.rank === 2 && b.rank === 2) {
      // tfjs-layers' Dense: two kernels. The filter's gradient call also yields the bias gradient,
      // kept as a plain array for the bias's call (tfjs disposes what a gradient call does not return).
      const inputs = { a, b, dy: dy as tf.Tensor, y };
      let dBias: Float32Array | null = null;
      const weights = (): tf.Tensor[] => {
        const [dB, bias] = runAll(N.matMulBackpropWeights, inputs, { activation });
        dBias = (tf.backend() as OnednnBackend).floats(bias).slice();
        return [dB, bias];
      };
      return {
        a: () => run(N.matMulBackpropInput, inputs, { activation }),
        b: () => weights()[0],
        bias: () => (dBias !== null ? tf.tensor1d(dBias) : weights()[1]),
      };
    }
    // Dense layers are small: mask once here rather than in each input's gradient.
    const g = activation === 'relu' ? run(N.reluBackward, { dy: dy as tf.Tensor, y }) : (dy as tf.Tensor);
    const product = (p: tf.Tensor, q: tf.Tensor, tp: boolean, tq: boolean): tf.Tensor =>
      run('BatchMatMul', { a: p, b: q }, { transposeA: tp, transposeB: tq });
    return {
      // The usual matMul gradients, for each combination of transposes.
      a: () => (transposeA ? product(b, g, transposeB, true) : product(g, b, false, !transposeB)),
      b: () => (transposeB ? product(g, a, true, transposeA) : product(a, g, !transposeA, false)),
      bias: () => run(N.biasGrad, { dy: g }, { activation: 'linear' }),
    };
  },
});

// ---- batch normalisation in training --------------------------------------------------------------

/** Always given scale and offset (tfjs saves the inputs a gradient names, and cannot save an absent one). */
const batchNormTraining = nativeKernel<{ x: tf.TensorInfo; scale: tf.TensorInfo; offset: tf.TensorInfo }, { epsilon: number }>(
  N.batchNormTraining,
  ({ inputs: { x, scale, offset }, backend, attrs }) => {
    const params = normParams(x.shape);
    if (params === null) throw new Error(`onednn: cannot batch-normalise shape ${x.shape}`);
    const channels = x.shape[x.shape.length - 1];
    const y = backend.allocate(sizeOf(x.shape));
    const mean = backend.allocate(channels);
    const variance = backend.allocate(channels);
    backend.native.batchNormTraining(
      params,
      attrs.epsilon,
      backend.floats(x),
      backend.floats(scale),
      backend.floats(offset),
      y,
      mean,
      variance,
    );
    return [backend.output(y, x.shape), backend.output(mean, [channels]), backend.output(variance, [channels])];
  },
);

type BatchNormGradInputs = { x: tf.TensorInfo; dy: tf.TensorInfo; mean: tf.TensorInfo; variance: tf.TensorInfo; scale: tf.TensorInfo };
const batchNormTrainingGrad = nativeKernel<BatchNormGradInputs, { epsilon: number }>(
  N.batchNormTrainingGrad,
  ({ inputs: { x, dy, mean, variance, scale }, backend, attrs }) => {
    const params = normParams(x.shape)!;
    const channels = x.shape[x.shape.length - 1];
    const dx = backend.allocate(sizeOf(x.shape));
    const dScale = backend.allocate(channels);
    const dShift = backend.allocate(channels);
    backend.native.batchNormBackward(
      params,
      attrs.epsilon,
      backend.floats(x),
      backend.floats(dy),
      backend.floats(mean),
      backend.floats(variance),
      backend.floats(scale),
      dx,
      dScale,
      dShift,
    );
    return [backend.output(dx, x.shape), backend.output(dScale, [channels]), backend.output(dShift, [channels])];
  },
);

tf.registerGradient({
  kernelName: N.batchNormTraining,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dMean, dVariance] = dys as Array<tf.Tensor | null>;
    const [x, scale, mean, variance] = saved;
    const { epsilon } = attrs as unknown as { epsilon: number };
    // One native pass yields all three gradients; the scale and shift ones are kept as plain arrays
    // between the per-input calls (tfjs disposes every tensor an input's gradient call does not return).
    let memo: { dScale: Float32Array; dShift: Float32Array } | null = null;
    const all = (): tf.Tensor[] => {
      const outputs = runAll(N.batchNormTrainingGrad, { x, dy: dy ?? tf.zerosLike(x), mean, variance, scale }, { epsilon });
      const backend = tf.backend() as OnednnBackend;
      memo = { dScale: backend.floats(outputs[1]).slice(), dShift: backend.floats(outputs[2]).slice() };
      return outputs;
    };
    const parameterGradients = (): { dScale: Float32Array; dShift: Float32Array } => {
      if (memo === null) all();
      return memo!;
    };
    return {
      x: () => {
        let dx = all()[0];
        // Gradients reaching the batch statistics directly (not through the normalised output). tfjs
        // passes zeros for outputs outside the gradient's path: the usual case, skipped.
        const rows = sizeOf(x.shape) / x.shape[x.shape.length - 1];
        if (!allZero(dMean)) dx = tf.add(dx, tf.div(dMean!, rows));
        if (!allZero(dVariance)) dx = tf.add(dx, tf.mul(tf.sub(x, mean), tf.mul(dVariance!, 2 / rows)));
        return dx;
      },
      scale: () => tf.tensor1d(parameterGradients().dScale),
      offset: () => tf.tensor1d(parameterGradients().dShift),
    };
  },
});

/** True for a missing gradient or one of zeros (a per-channel vector: cheap to read). */
function allZero(gradient: tf.Tensor | null): boolean {
  if (gradient == null) return true;
  const values = (tf.backend() as OnednnBackend).floats(gradient);
  return values.every((v) => v === 0);
}

// ---- softmax cross-entropy ------------------------------------------------------------------------

const softmaxCrossEntropy = nativeKernel<{ labels: tf.TensorInfo; logits: tf.TensorInfo }, { smoothing: number }>(
  N.softmaxCrossEntropy,
  ({ inputs: { labels, logits }, backend, attrs }) => {
    const loss = backend.allocate(1);
    const classes = logits.shape[logits.shape.length - 1];
    backend.native.softmaxCrossEntropy(backend.floats(labels), backend.floats(logits), classes, attrs.smoothing, loss);
    return backend.output(loss, []);
  },
);

const softmaxCrossEntropyGrad = nativeKernel<
  { labels: tf.TensorInfo; logits: tf.TensorInfo; dy: tf.TensorInfo },
  { smoothing: number; withRespectTo: 'logits' | 'labels' }
>(N.softmaxCrossEntropyGrad, ({ inputs: { labels, logits, dy }, backend, attrs }) => {
  const out = backend.allocate(sizeOf(logits.shape));
  const classes = logits.shape[logits.shape.length - 1];
  const dLoss = backend.floats(dy)[0];
  const logitsGradient = attrs.withRespectTo === 'logits';
  backend.native.softmaxCrossEntropyBackward(
    backend.floats(labels),
    backend.floats(logits),
    classes,
    attrs.smoothing,
    dLoss,
    logitsGradient ? out : null,
    logitsGradient ? null : out,
  );
  return backend.output(out, logits.shape);
});

tf.registerGradient({
  kernelName: N.softmaxCrossEntropy,
  inputsToSave: ['labels', 'logits'],
  gradFunc: (dy, saved, attrs) => {
    const [labels, logits] = saved;
    const { smoothing } = attrs as unknown as { smoothing: number };
    const gradient = (withRespectTo: 'logits' | 'labels') => () =>
      run(N.softmaxCrossEntropyGrad, { labels, logits, dy: dy as tf.Tensor }, { smoothing, withRespectTo });
    return { labels: gradient('labels'), logits: gradient('logits') };
  },
});

export const fusedKernels: tf.KernelConfig[] = [
  conv2d,
  conv2dBackpropInput,
  conv2dBackpropFilter,
  biasGrad,
  matMul,
  matMulBackpropInput,
  matMulBackpropWeights,
  reluBackward,
  batchNormTraining,
  batchNormTrainingGrad,
  softmaxCrossEntropy,
  softmaxCrossEntropyGrad,
];
