/**
 * DenseNets (Huang et al. 2017, the BC form: 1x1 bottleneck of bn_size * k channels and compression
 * 0.5 in the transitions). One builder for both layouts:
 * - 'imagenet': torchvision 0.14's DenseNet-121/161/169/201 (7x7 stride-2 stem, batch norm, ReLU, 3x3
 *   max pooling; four dense blocks). `smallInput` swaps the stem for a 3x3 stride-1 convolution (batch
 *   norm and ReLU kept) without max pooling.
 * - 'cifar': the paper's DenseNet-BC for 32x32: a 3x3 convolution to 2k channels (no batch norm or
 *   ReLU after it: every dense layer starts with its own), three dense blocks.
 * `dropout` is torchvision's drop_rate, applied to each dense layer's new features (default 0).
 * Initialisation as torchvision: Kaiming normal (fan_in) convolutions, zero classifier bias.
 */
import type { Heads } from './heads.js';
import type { WeightInit } from './init.js';
import {
  avgPool2d,
  batchNorm,
  concat,
  conv2d,
  dense,
  dropout,
  featureShape,
  globalAvgPool,
  maxPool2d,
  relu,
  type Tensor,
} from './layers.js';
import type { ResolvedOptions } from './options.js';
import type { DenseNetConfig } from './families/index.js';

const BN_EPSILON = 1e-5;
const CONV_INIT: WeightInit = { kernel: { kind: 'kaiming-normal', mode: 'fanIn' }, bias: 'zeros' };
const CLASSIFIER_INIT: WeightInit = { kernel: { kind: 'torch-default' }, bias: 'zeros' };

/**
 * BN-ReLU-1x1 conv (bottleneck) then BN-ReLU-3x3 conv: the layer's k new feature maps.
 * @public a model zoo block, as torchvision.models.densenet exports _DenseLayer, _DenseBlock and _Transition.
 */
export function denseLayer(x: Tensor, name: string, growthRate: number, bottleneckWidth: number, dropRate: number): Tensor {
  let y = relu(batchNorm(x, `${name}.norm1`, BN_EPSILON), `${name}.relu1`);
  y = conv2d(y, `${name}.conv1`, { filters: bottleneckWidth * growthRate, kernel: 1, bias: false, init: CONV_INIT });
  y = relu(batchNorm(y, `${name}.norm2`, BN_EPSILON), `${name}.relu2`);
  y = conv2d(y, `${name}.conv2`, { filters: growthRate, kernel: 3, padding: 1, bias: false, init: CONV_INIT });
  return dropout(y, `${name}.dropout`, dropRate);
}

/**
 * Each layer sees the concatenation of the block's input and every earlier layer's output.
 * @public a model zoo block, as torchvision.models.densenet exports _DenseLayer, _DenseBlock and _Transition.
 */
export function denseBlock(x: Tensor, name: string, layers: number, config: DenseNetConfig, dropRate: number): Tensor {
  for (let i = 1; i <= layers; i++) {
    const layerName = `${name}.denselayer${i}`;
    const fresh = denseLayer(x, layerName, config.growthRate, config.bottleneckWidth, dropRate);
    x = concat([x, fresh], `${layerName}.concat`);
  }
  return x;
}

/**
 * BN-ReLU-1x1 conv halving the channels (compression 0.5), then 2x2 average pooling.
 * @public a model zoo block, as torchvision.models.densenet exports _DenseLayer, _DenseBlock and _Transition.
 */
export function transitionBlock(x: Tensor, name: string): Tensor {
  const channels = Math.floor(featureShape(x)[2] / 2);
  x = relu(batchNorm(x, `${name}.norm`, BN_EPSILON), `${name}.relu`);
  x = conv2d(x, `${name}.conv`, { filters: channels, kernel: 1, bias: false, init: CONV_INIT });
  return avgPool2d(x, `${name}.pool`, { kernel: 2, stride: 2 });
}

function stem(x: Tensor, config: DenseNetConfig, smallInput: boolean): Tensor {
  const filters = config.initFeatures;
  if (config.layout === 'cifar') {
    return conv2d(x, 'features.conv0', { filters, kernel: 3, padding: 1, bias: false, init: CONV_INIT });
  }
  if (smallInput) {
    x = conv2d(x, 'features.conv0', { filters, kernel: 3, padding: 1, bias: false, init: CONV_INIT });
    return relu(batchNorm(x, 'features.norm0', BN_EPSILON), 'features.relu0');
  }
  x = conv2d(x, 'features.conv0', { filters, kernel: 7, stride: 2, padding: 3, bias: false, init: CONV_INIT });
  x = relu(batchNorm(x, 'features.norm0', BN_EPSILON), 'features.relu0');
  return maxPool2d(x, 'features.pool0', { kernel: 3, stride: 2, padding: 1 });
}

export function buildDenseNet(x: Tensor, config: DenseNetConfig, options: ResolvedOptions): Heads {
  x = stem(x, config, options.smallInput);
  config.blocksPerStage.forEach((layers, i) => {
    x = denseBlock(x, `features.denseblock${i + 1}`, layers, config, options.dropout);
    if (i < config.blocksPerStage.length - 1) x = transitionBlock(x, `features.transition${i + 1}`);
  });
  x = relu(batchNorm(x, 'features.norm5', BN_EPSILON), 'relu');
  x = globalAvgPool(x, 'avgpool');
  return { logits: dense(x, 'classifier', { units: options.classes, init: CLASSIFIER_INIT }), auxLogits: [] };
}
