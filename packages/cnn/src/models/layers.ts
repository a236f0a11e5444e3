/**
 * The layer vocabulary the builders are written in: PyTorch's layer semantics (explicit padding,
 * ceil_mode, count_include_pad, adaptive average pooling, batch-norm momentum) expressed with
 * tfjs-layers' built-in classes only, so a saved model loads with plain tf.loadLayersModel anywhere.
 * Every layer gets the name its caller chooses (torchvision's module path, e.g. `layer2.0.conv1`);
 * helper layers a PyTorch module does not have are named after it (`layer2.0.conv1.pad`).
 */
import * as tf from '@tensorflow/tfjs';
import { biasInitializer, kernelInitializer, type WeightInit } from './init.js';
import { outputLength } from './spatial.js';

export type Tensor = tf.SymbolicTensor;
type Pair = [number, number];

interface BuildSession {
  zeroWeights: boolean;
  layers: tf.layers.Layer[];
}

let session: BuildSession | null = null;

/**
 * Runs one model build. If it throws, every layer it created is disposed, so a failed build leaks no
 * weights. With `zeroWeights` every weight is created as zeros instead of drawn from its initializer:
 * the same graph and weight shapes in a fraction of the time and memory, for counting parameters only.
 */
export function buildSession<T>(zeroWeights: boolean, build: () => T): T {
  if (session !== null) throw new Error('model builds cannot nest');
  const current: BuildSession = { zeroWeights, layers: [] };
  session = current;
  try {
    return build();
  } catch (error) {
    for (const layer of current.layers) {
      try {
        layer.dispose();
      } catch {
        // Never applied, so it holds no weights.
      }
    }
    throw error;
  } finally {
    session = null;
  }
}

/**
 * Applies a layer. An empty output means the input was smaller than the architecture accepts; the
 * catalog's size check refuses such inputs first, so reaching this is a bug in the spatial plan,
 * reported with the layer's name.
 */
export function applyLayer(layer: tf.layers.Layer, input: Tensor | Tensor[]): Tensor {
  if (session === null) throw new Error('layers are applied inside buildSession()');
  if (session.zeroWeights) layer.setFastWeightInitDuringBuild(true);
  session.layers.push(layer);
  const output = layer.apply(input) as Tensor;
  if (output.shape.slice(1).some((dim) => dim !== null && dim < 1)) {
    throw new Error(`layer ${layer.name} has an empty output ${JSON.stringify(output.shape)}: the input is too small`);
  }
  return output;
}

function pair(value: number | Pair): Pair {
  return typeof value === 'number' ? [value, value] : value;
}

/** [height, width, channels] of a feature map. */
export function featureShape(x: Tensor): [number, number, number] {
  const [, height, width, channels] = x.shape;
  if (height == null || width == null || channels == null) throw new Error(`unexpected shape ${JSON.stringify(x.shape)}`);
  return [height, width, channels];
}

function zeroPad(x: Tensor, name: string, [rows, cols]: [Pair, Pair]): Tensor {
  return applyLayer(tf.layers.zeroPadding2d({ name, padding: [rows, cols] }), x);
}

export interface ConvSpec {
  filters: number;
  kernel: number | Pair;
  stride?: number;
  /** PyTorch's padding: zeros on both sides of each axis. */
  padding?: number | Pair;
  /** PyTorch's default is a bias. */
  bias?: boolean;
  /** Fused into the convolution (for networks without batch norm). */
  activation?: 'relu';
  init: WeightInit;
}

/**
 * nn.Conv2d. Stride-1 convolutions padded by (k-1)/2 are tfjs's 'same'; any other padding is an
 * explicit ZeroPadding2D, because tfjs's 'same' with stride 2 pads only the bottom and right where
 * PyTorch pads both sides, which shifts every window by one pixel.
 */
export function conv2d(x: Tensor, name: string, spec: ConvSpec): Tensor {
  const [kh, kw] = pair(spec.kernel);
  const [ph, pw] = pair(spec.padding ?? 0);
  const stride = spec.stride ?? 1;
  const fans = { fanIn: kh * kw * featureShape(x)[2], fanOut: kh * kw * spec.filters };
  let padding: 'same' | 'valid' = 'valid';
  if (stride === 1 && (ph > 0 || pw > 0) && 2 * ph === kh - 1 && 2 * pw === kw - 1) {
    padding = 'same';
  } else if (ph > 0 || pw > 0) {
    x = zeroPad(x, `${name}.pad`, [
      [ph, ph],
      [pw, pw],
    ]);
  }
  const useBias = spec.bias ?? true;
  const layer = tf.layers.conv2d({
    name,
    filters: spec.filters,
    kernelSize: [kh, kw],
    strides: stride,
    padding,
    useBias,
    activation: spec.activation ?? 'linear',
    kernelInitializer: kernelInitializer(spec.init.kernel, fans),
    biasInitializer: useBias ? biasInitializer(spec.init.bias, fans) : undefined,
  });
  return applyLayer(layer, x);
}

/**
 * nn.BatchNorm2d: scale 1, shift 0, and tfjs momentum 0.9 = PyTorch momentum 0.1. One difference no
 * built-in layer can remove: tfjs tracks the biased batch variance, PyTorch the unbiased one (a
 * factor n/(n-1) in the moving variance, n = batch x height x width, negligible but for tiny maps).
 */
export function batchNorm(x: Tensor, name: string, epsilon: number): Tensor {
  return applyLayer(tf.layers.batchNormalization({ name, axis: -1, momentum: 0.9, epsilon }), x);
}

export function relu(x: Tensor, name: string): Tensor {
  return applyLayer(tf.layers.activation({ name, activation: 'relu' }), x);
}

/** torchvision's BasicConv2d (GoogLeNet, Inception v3): convolution without bias, batch norm, ReLU. */
export function convBnRelu(x: Tensor, name: string, spec: Omit<ConvSpec, 'bias' | 'activation'>, epsilon: number): Tensor {
  x = conv2d(x, `${name}.conv`, { ...spec, bias: false });
  return relu(batchNorm(x, `${name}.bn`, epsilon), `${name}.relu`);
}

export interface PoolSpec {
  kernel: number;
  stride: number;
  padding?: number;
  ceilMode?: boolean;
}

/** Explicit padding that makes a 'valid' tfjs pooling produce PyTorch's windows. */
function poolPadding(x: Tensor, spec: PoolSpec): [Pair, Pair] {
  const padding = spec.padding ?? 0;
  const [height, width] = featureShape(x);
  const axis = (length: number): Pair => {
    const out = outputLength({ kernel: spec.kernel, stride: spec.stride, padding, ceilMode: spec.ceilMode }, length);
    // ceil_mode's last window reaches past the padded input: pad the far side up to it.
    const reach = (out - 1) * spec.stride + spec.kernel;
    return [padding, padding + Math.max(0, reach - length - 2 * padding)];
  };
  return [axis(height), axis(width)];
}

/**
 * nn.MaxPool2d. PyTorch pads with -infinity; a stride-1 "same" window is tfjs's 'same' (which ignores
 * padded cells, the same thing); any other padding (ResNet's and DenseNet's stem, GoogLeNet's
 * ceil_mode) is done with zeros, which equals -infinity padding because every max pooling in these
 * networks follows a ReLU: its inputs are never negative.
 */
export function maxPool2d(x: Tensor, name: string, spec: PoolSpec): Tensor {
  const padding = spec.padding ?? 0;
  if (spec.stride === 1 && padding > 0 && 2 * padding === spec.kernel - 1) {
    return applyLayer(tf.layers.maxPooling2d({ name, poolSize: spec.kernel, strides: 1, padding: 'same' }), x);
  }
  const pads = poolPadding(x, spec);
  if (pads.flat().some((p) => p > 0)) x = zeroPad(x, `${name}.pad`, pads);
  return applyLayer(tf.layers.maxPooling2d({ name, poolSize: spec.kernel, strides: spec.stride, padding: 'valid' }), x);
}

/** nn.AvgPool2d / F.avg_pool2d with PyTorch's default count_include_pad=True: padded zeros count. */
export function avgPool2d(x: Tensor, name: string, spec: PoolSpec): Tensor {
  const pads = poolPadding(x, spec);
  if (pads.flat().some((p) => p > 0)) x = zeroPad(x, `${name}.pad`, pads);
  return applyLayer(tf.layers.averagePooling2d({ name, poolSize: spec.kernel, strides: spec.stride, padding: 'valid' }), x);
}

/**
 * nn.AdaptiveAvgPool2d along one axis (1 = rows, 2 = columns). Output cell i averages input cells
 * floor(i*n/out) to ceil((i+1)*n/out) - 1, as in PyTorch. When out divides n that is one average
 * pooling; when n divides out every window is one cell, i.e. nearest-neighbour upsampling; otherwise
 * (windows of uneven position or size) each window is cropped, averaged and concatenated back.
 */
function adaptiveAvgPoolAxis(x: Tensor, name: string, axis: 1 | 2, out: number): Tensor {
  const length = featureShape(x)[axis - 1];
  const along = (size: number): Pair => (axis === 1 ? [size, 1] : [1, size]);
  if (length === out) return x;
  if (length % out === 0) {
    const window = along(length / out);
    return applyLayer(tf.layers.averagePooling2d({ name, poolSize: window, strides: window, padding: 'valid' }), x);
  }
  if (out % length === 0) {
    return applyLayer(tf.layers.upSampling2d({ name, size: along(out / length) }), x);
  }
  const windows: Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * length) / out);
    const end = Math.ceil(((i + 1) * length) / out);
    const crop: [Pair, Pair] =
      axis === 1
        ? [
            [start, length - end],
            [0, 0],
          ]
        : [
            [0, 0],
            [start, length - end],
          ];
    const window = applyLayer(tf.layers.cropping2D({ name: `${name}.crop${i}`, cropping: crop }), x);
    const size = along(end - start);
    windows.push(
      applyLayer(tf.layers.averagePooling2d({ name: `${name}.pool${i}`, poolSize: size, strides: size, padding: 'valid' }), window),
    );
  }
  return applyLayer(tf.layers.concatenate({ name, axis }), windows);
}

/** nn.AdaptiveAvgPool2d((rows, cols)) for any input size: the identity when the sizes already match. */
export function adaptiveAvgPool2d(x: Tensor, name: string, [rows, cols]: Pair): Tensor {
  return adaptiveAvgPoolAxis(adaptiveAvgPoolAxis(x, `${name}.rows`, 1, rows), `${name}.cols`, 2, cols);
}

/** nn.AdaptiveAvgPool2d(1) followed by torch.flatten: [batch, channels]. */
export function globalAvgPool(x: Tensor, name: string): Tensor {
  return applyLayer(tf.layers.globalAveragePooling2d({ name }), x);
}

export function flatten(x: Tensor, name: string): Tensor {
  return applyLayer(tf.layers.flatten({ name }), x);
}

export interface DenseSpec {
  units: number;
  activation?: 'relu';
  init: WeightInit;
}

/** nn.Linear (with a bias, as PyTorch's default). */
export function dense(x: Tensor, name: string, spec: DenseSpec): Tensor {
  const inputs = x.shape[x.shape.length - 1] ?? 0;
  const fans = { fanIn: inputs, fanOut: spec.units };
  const layer = tf.layers.dense({
    name,
    units: spec.units,
    activation: spec.activation ?? 'linear',
    kernelInitializer: kernelInitializer(spec.init.kernel, fans),
    biasInitializer: biasInitializer(spec.init.bias, fans),
  });
  return applyLayer(layer, x);
}

/** nn.Dropout; no layer at all for rate 0. */
export function dropout(x: Tensor, name: string, rate: number): Tensor {
  return rate > 0 ? applyLayer(tf.layers.dropout({ name, rate }), x) : x;
}

/** torch.cat along channels. */
export function concat(inputs: Tensor[], name: string): Tensor {
  return applyLayer(tf.layers.concatenate({ name, axis: -1 }), inputs);
}

export function add(inputs: Tensor[], name: string): Tensor {
  return applyLayer(tf.layers.add({ name }), inputs);
}
