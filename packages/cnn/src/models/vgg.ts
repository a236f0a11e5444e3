/**
 * VGG-11/13/16/19, with or without batch norm, as torchvision 0.14 defines them (configurations A, B,
 * D, E; convolutions keep their bias even before batch norm; dropout after the first two classifier
 * layers). Initialisation as torchvision: Kaiming normal (fan_out) convolutions with zero bias,
 * N(0, 0.01) linear layers with zero bias.
 *
 * Before the classifier torchvision has AdaptiveAvgPool2d((7, 7)): the identity at 224x224 (no layer
 * here), reproduced exactly at other sizes (see adaptiveAvgPool2d), so the classifier keeps its 25,088
 * inputs as in torchvision. With `smallInput` the pooling is left out and the classifier reads the
 * flattened feature map as it is, as Keras applications do at any size (512 inputs at 32x32).
 */
import type { Heads } from './heads.js';
import type { WeightInit } from './init.js';
import { adaptiveAvgPool2d, batchNorm, conv2d, dense, dropout, flatten, maxPool2d, relu, type Tensor } from './layers.js';
import type { ResolvedOptions } from './options.js';
import type { VggLayer } from './families/index.js';

const CONV_INIT: WeightInit = { kernel: { kind: 'kaiming-normal', mode: 'fanOut' }, bias: 'zeros' };
const LINEAR_INIT: WeightInit = { kernel: { kind: 'normal', std: 0.01 }, bias: 'zeros' };
const BN_EPSILON = 1e-5;

/** torchvision's make_layers: names follow the index in its nn.Sequential (`features.0`, ...). */
function vggFeatures(x: Tensor, layers: VggLayer[], batchNormalized: boolean): Tensor {
  let index = 0;
  for (const layer of layers) {
    if (layer === 'M') {
      x = maxPool2d(x, `features.${index}`, { kernel: 2, stride: 2 });
      index += 1;
    } else if (batchNormalized) {
      x = conv2d(x, `features.${index}`, { filters: layer, kernel: 3, padding: 1, init: CONV_INIT });
      x = batchNorm(x, `features.${index + 1}`, BN_EPSILON);
      x = relu(x, `features.${index + 2}`);
      index += 3;
    } else {
      x = conv2d(x, `features.${index}`, { filters: layer, kernel: 3, padding: 1, activation: 'relu', init: CONV_INIT });
      index += 2;
    }
  }
  return x;
}

export function buildVgg(x: Tensor, config: { layers: VggLayer[]; batchNorm: boolean }, options: ResolvedOptions): Heads {
  x = vggFeatures(x, config.layers, config.batchNorm);
  x = flatten(options.smallInput ? x : adaptiveAvgPool2d(x, 'avgpool', [7, 7]), 'flatten');
  x = dense(x, 'classifier.0', { units: 4096, activation: 'relu', init: LINEAR_INIT });
  x = dropout(x, 'classifier.2', options.dropout);
  x = dense(x, 'classifier.3', { units: 4096, activation: 'relu', init: LINEAR_INIT });
  x = dropout(x, 'classifier.5', options.dropout);
  return { logits: dense(x, 'classifier.6', { units: options.classes, init: LINEAR_INIT }), auxLogits: [] };
}
