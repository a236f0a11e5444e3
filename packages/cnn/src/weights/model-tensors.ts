/**
 * Which torchvision tensor each weight of a built model is, and how its layout differs:
 * - convolution kernels: tfjs HWIO, PyTorch OIHW;
 * - dense kernels: tfjs [in, out], PyTorch [out, in]; a dense layer right after a flatten of an
 *   H x W x C map also reorders its inputs, because tfjs flattens H,W,C and PyTorch C,H,W;
 * - batch norm: gamma, beta, moving mean and variance are weight, bias, running_mean, running_var.
 * The layer names are torchvision's module paths already (see models/layers.ts); the normalisation
 * layer has no torchvision counterpart and is left out.
 */
import * as tf from '@tensorflow/tfjs';
import { NORMALIZATION_LAYER } from '../models/normalization.js';
import type { TensorRole } from './torchvision-state-dict.js';

export interface ModelTensor {
  /** torchvision's name, e.g. `layer1.0.conv1.weight`. */
  name: string;
  role: TensorRole;
  variable: tf.LayerVariable;
  /** Shape in PyTorch's layout. */
  torchShape: number[];
  /** A PyTorch-layout tensor to this weight's layout. */
  fromTorch(value: tf.Tensor): tf.Tensor;
  /** This weight's value in PyTorch's layout. */
  toTorch(value: tf.Tensor): tf.Tensor;
}

const BATCH_NORM_ROLES: Record<string, TensorRole> = {
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

function weightKind(variable: tf.LayerVariable): string {
  return variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1);
}

function same(name: string, role: TensorRole, variable: tf.LayerVariable): ModelTensor {
  return { name, role, variable, torchShape: [...variable.shape] as number[], fromTorch: (v) => v, toTorch: (v) => v };
}

/** Layers between a flatten and a dense layer that keep the order of the features. */
const ORDER_KEEPING = new Set(['Dropout']);

/** [H, W, C] of the map a Flatten layer feeding `layer` flattens, or null when its input is not a flatten. */
function flattenedFrom(layer: tf.layers.Layer): [number, number, number] | null {
  let source = layer.inboundNodes[0]?.inboundLayers[0];
  while (source !== undefined && ORDER_KEEPING.has(source.getClassName())) source = source.inboundNodes[0]?.inboundLayers[0];
  if (source === undefined || source.getClassName() !== 'Flatten') return null;
  const [, h, w, c] = (source.input as tf.SymbolicTensor).shape as number[];
  return h * w > 1 ? [h, w, c] : null;
}

function convTensors(layer: tf.layers.Layer): ModelTensor[] {
  return layer.weights.map((variable) => {
    if (weightKind(variable) === 'bias') return same(`${layer.name}.bias`, 'bias', variable);
    const [h, w, i, o] = variable.shape as number[];
    return {
      name: `${layer.name}.weight`,
      role: 'weight',
      variable,
      torchShape: [o, i, h, w],
      fromTorch: (v) => v.transpose([2, 3, 1, 0]),
      toTorch: (v) => v.transpose([3, 2, 0, 1]),
    };
  });
}

function denseTensors(layer: tf.layers.Layer): ModelTensor[] {
  const map = flattenedFrom(layer);
  return layer.weights.map((variable) => {
    if (weightKind(variable) === 'bias') return same(`${layer.name}.bias`, 'bias', variable);
    const [inputs, outputs] = variable.shape as number[];
    const tensor: ModelTensor = {
      name: `${layer.name}.weight`,
      role: 'weight',
      variable,
      torchShape: [outputs, inputs],
      fromTorch: (v) => v.transpose(),
      toTorch: (v) => v.transpose(),
    };
    if (map === null) return tensor;
    const [h, w, c] = map;
    return {
      ...tensor,
      // torch [out, C*H*W] <-> tfjs [H*W*C, out]
      fromTorch: (v) => v.reshape([outputs, c, h, w]).transpose([2, 3, 1, 0]).reshape([inputs, outputs]),
      toTorch: (v) => v.reshape([h, w, c, outputs]).transpose([3, 2, 0, 1]).reshape([outputs, inputs]),
    };
  });
}

function batchNormTensors(layer: tf.layers.Layer): ModelTensor[] {
  return layer.weights.map((variable) => {
    const role = BATCH_NORM_ROLES[weightKind(variable)];
    if (role === undefined) throw new Error(`unexpected batch-norm weight ${variable.originalName}`);
    return same(`${layer.name}.${role}`, role, variable);
  });
}

/** Every weight of `model` with its torchvision name and layout, in model.layers order. */
export function modelTensors(model: tf.LayersModel): ModelTensor[] {
  const out: ModelTensor[] = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0 || layer.name === NORMALIZATION_LAYER) continue;
    switch (layer.getClassName()) {
      case 'Conv2D':
        out.push(...convTensors(layer));
        break;
      case 'Dense':
        out.push(...denseTensors(layer));
        break;
      case 'BatchNormalization':
        out.push(...batchNormTensors(layer));
        break;
      default:
        throw new Error(`layer ${layer.name} (${layer.getClassName()}) has no torchvision counterpart`);
    }
  }
  return out;
}

/** Names of the batch-norm layers (each has a num_batches_tracked in PyTorch). */
export function batchNormLayers(model: tf.LayersModel): string[] {
  return model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization').map((layer) => layer.name);
}
