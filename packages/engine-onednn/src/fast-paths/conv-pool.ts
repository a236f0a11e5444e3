/**
 * A Conv2D (bias, ReLU or linear) whose only consumer is a MaxPooling2D, inside a model's own
 * execution, on the onednn backend: one kernel for both layers, forward and backward
 * (kernels/conv-pool.ts), where they were five (convolution, pooling; pooling gradient, the
 * convolution's input and filter gradients with the ReLU mask and the bias gradient). The pooling
 * layer then passes its input on. LeNet-5's two convolutional blocks are such pairs.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvPoolAttrs } from '../kernels/conv-pool.js';
import { FUSED_KERNEL_NAMES } from '../kernels/fused.js';
import { activeOnednn } from './active.js';
import {
  executingModel,
  layerPrototype,
  passOn,
  passThroughLayers,
  patchCall,
  singleInput,
  soleConsumer,
  trackModelExecution,
  type ConvLayer,
  type GraphLayer,
} from './model-graph.js';

interface PoolLayer extends GraphLayer {
  poolSize: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
  dataFormat: string;
}

/** Blocks run fused since the process started (tests check that the path was taken). */
export const convPoolStatistics = { fusedBlocks: 0 };

function fusable(conv: ConvLayer): boolean {
  const activation = conv.activation.getClassName();
  return (
    conv.getClassName() === 'Conv2D' &&
    conv.dataFormat === 'channelsLast' &&
    conv.inboundNodes.length === 1 &&
    (activation === 'relu' || activation === 'linear') &&
    conv.dilationRate.every((d) => d === 1)
  );
}

function fusedBlock(conv: ConvLayer, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  const model = executingModel();
  if (!activeOnednn() || !model || !fusable(conv)) return null;
  const x = singleInput(inputs);
  if (x === null || x.rank !== 4 || x.dtype !== 'float32' || x.size === 0) return null;
  const pool = soleConsumer<PoolLayer>(conv, 'MaxPooling2D', model);
  if (!pool || pool.dataFormat !== 'channelsLast' || pool.poolSize[0] * pool.poolSize[1] > 255) return null;
  const filter = conv.kernel.read();
  const bias = conv.bias?.read();
  if (filter.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) return null;
  const attrs: ConvPoolAttrs = {
    strides: conv.strides as [number, number],
    pad: conv.padding,
    activation: conv.activation.getClassName() as 'relu' | 'linear',
    poolSize: pool.poolSize,
    poolStrides: pool.strides,
    poolPad: pool.padding,
  };
  // The filter first: its gradient call also leaves what the input's gradient call reuses.
  const kernelInputs: tf.NamedTensorMap = bias ? { filter, bias, x } : { filter, x };
  const y = tf.engine().runKernel(FUSED_KERNEL_NAMES.convPool, kernelInputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  passOn(y, [pool]);
  convPoolStatistics.fusedBlocks += 1;
  return y;
}

export function installConvPool(): void {
  trackModelExecution();
  patchCall(
    layerPrototype(() => tf.layers.conv2d({ filters: 1, kernelSize: 1 })),
    (layer, inputs) => fusedBlock(layer as ConvLayer, inputs),
  );
  passThroughLayers(layerPrototype(() => tf.layers.maxPooling2d({})));
}
