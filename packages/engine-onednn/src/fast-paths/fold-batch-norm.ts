/**
 * Inference on the onednn backend with batch norm folded into the convolution before it: where a
 * model's Conv2D (linear, channels last) feeds only a BatchNormalization, and that one maybe only a
 * ReLU activation, the convolution runs once with its filter scaled by gamma / sqrt(variance + epsilon)
 * and the shifted bias, the ReLU fused as a oneDNN post-op, and the two layers after it pass their
 * input through. One native kernel and one pass over the activations instead of three.
 *
 * Only inside a model's own execution (LayersModel apply/call, predict), outside training and with no
 * gradient being recorded, and only for layers of that model: a layer called on its own gives what
 * it always gives. The weights are folded at every call (one native multiply of the filter): a cache
 * would have to notice in-place optimizer updates and would hold tensors past the model's disposal.
 * So a convolution folds only when its output has at least as many elements as its filter: the two
 * passes over the output it saves then outweigh the pass over the filter it adds (at batch 1, a deep
 * layer's filter is far larger than its output, and it runs unfolded).
 */
import * as tf from '@tensorflow/tfjs';
import { activeOnednn } from './active.js';
import {
  executingModel,
  gradientsRecorded,
  layerPrototype,
  only,
  passOn,
  passThroughLayers,
  patchCall,
  singleInput,
  trackModelExecution,
  type ConvLayer,
  type GraphLayer,
  type LayerKwargs,
  type Model,
} from './model-graph.js';

interface BatchNormLayer extends GraphLayer {
  axis: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

interface ActivationLayer extends GraphLayer {
  activation: { getClassName(): string };
}

interface Folded {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** Folded convolutions run since the process started (tests check that the path was taken). */
export const foldingStatistics = { foldedConvolutions: 0 };

/** The batch norm (and ReLU) this convolution can absorb in `model`, or null. */
function foldingPlan(conv: ConvLayer, model: Model): { norm: BatchNormLayer; relu: ActivationLayer | null } | null {
  if (conv.getClassName() !== 'Conv2D' || conv.dataFormat !== 'channelsLast' || conv.activation.getClassName() !== 'linear') return null;
  if (conv.inboundNodes.length !== 1 || conv.outboundNodes.length !== 1) return null;
  const norm = only<BatchNormLayer>(conv.outboundNodes[0].outboundLayer, 'BatchNormalization');
  if (!norm || !(norm.axis === -1 || norm.axis === 3) || !model.layers.includes(conv) || !model.layers.includes(norm)) return null;
  const next = norm.outboundNodes.length === 1 ? only<ActivationLayer>(norm.outboundNodes[0].outboundLayer, 'Activation') : null;
  const relu = next && next.activation.getClassName() === 'relu' && model.layers.includes(next) ? next : null;
  return { norm, relu };
}

/** The filter scaled per output channel and the shifted bias; the caller disposes both. */
function fold(conv: ConvLayer, norm: BatchNormLayer): Folded {
  const mean = norm.movingMean.read().dataSync();
  const variance = norm.movingVariance.read().dataSync();
  const gamma = norm.gamma?.read().dataSync() ?? null;
  const beta = norm.beta?.read().dataSync() ?? null;
  const bias = conv.bias?.read().dataSync() ?? null;
  const channels = mean.length;
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + norm.epsilon);
    shift[c] = ((bias ? bias[c] : 0) - mean[c]) * scale[c] + (beta ? beta[c] : 0);
  }
  return {
    filter: tf.tidy(() => tf.mul(conv.kernel.read(), tf.tensor1d(scale)) as tf.Tensor4D),
    bias: tf.tensor1d(shift),
  };
}

function foldedConvolution(conv: ConvLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor | null {
  const model = executingModel();
  if (!activeOnednn() || !model || kwargs?.training || gradientsRecorded()) return null;
  const x = singleInput(inputs);
  if (x === null || x.rank !== 4 || x.dtype !== 'float32') return null;
  const plan = foldingPlan(conv, model);
  if (!plan) return null;
  const [batch, height, width] = x.shape as [number, number, number, number];
  const [strideHeight, strideWidth] = conv.strides;
  const filter4d = conv.kernel.read() as tf.Tensor4D;
  const outputElements = batch * Math.ceil(height / strideHeight) * Math.ceil(width / strideWidth) * filter4d.shape[3];
  if (outputElements < filter4d.size) return null;
  const { filter, bias } = fold(conv, plan.norm);
  const y = tf.fused.conv2d({
    x: x as tf.Tensor4D,
    filter,
    bias,
    strides: conv.strides as [number, number],
    pad: conv.padding,
    dataFormat: 'NHWC',
    dilations: conv.dilationRate as [number, number],
    activation: plan.relu ? 'relu' : 'linear',
  });
  tf.dispose([filter, bias]);
  passOn(y, plan.relu ? [plan.norm, plan.relu] : [plan.norm]);
  foldingStatistics.foldedConvolutions += 1;
  return y;
}

export function installBatchNormFolding(): void {
  trackModelExecution();
  patchCall(
    layerPrototype(() => tf.layers.conv2d({ filters: 1, kernelSize: 1 })),
    (layer, inputs, kwargs) => foldedConvolution(layer as ConvLayer, inputs, kwargs),
  );
  passThroughLayers(layerPrototype(() => tf.layers.batchNormalization({})));
  passThroughLayers(layerPrototype(() => tf.layers.activation({ activation: 'relu' })));
}
