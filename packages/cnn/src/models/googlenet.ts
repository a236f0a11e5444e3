/**
 * GoogLeNet (Inception v1) as torchvision 0.14 defines it, which departs from Szegedy et al. 2014:
 * every convolution is followed by batch norm (eps 1e-3), the "5x5" branch of each inception module
 * uses a 3x3 convolution (a known torchvision bug kept for its pretrained weights, pytorch/vision#906),
 * there is no local response normalisation, max pooling uses ceil_mode, and the auxiliary classifiers
 * start with adaptive average pooling to 4x4 (the paper: 5x5 average pooling, stride 3).
 *
 * The two auxiliary classifiers (after inception4a and inception4d, dropout 0.7) exist only in the
 * training model, and only with `auxLogits` (default true). The training model's outputs are
 * [logits, aux2, aux1]: torchvision's GoogLeNetOutputs order. `dropout` is the main classifier's
 * (default 0.2). Initialisation as torchvision: N(0, 0.01) convolution and linear weights, PyTorch's
 * default linear biases.
 */
import type { Heads } from './heads.js';
import type { WeightInit } from './init.js';
import { adaptiveAvgPool2d, concat, convBnRelu, dense, dropout, flatten, globalAvgPool, maxPool2d, type Tensor } from './layers.js';
import type { ResolvedOptions } from './options.js';

const BN_EPSILON = 1e-3;
const INIT: WeightInit = { kernel: { kind: 'normal', std: 0.01 }, bias: 'torch-default' };
const AUX_DROPOUT = 0.7;

/** BasicConv2d with GoogLeNet's batch-norm epsilon and initialisation. */
function basicConv(x: Tensor, name: string, filters: number, kernel: number, stride = 1, padding = 0): Tensor {
  return convBnRelu(x, name, { filters, kernel, stride, padding, init: INIT }, BN_EPSILON);
}

/**
 * Output widths of one inception module's branches.
 * @public a model zoo block, as torchvision.models.googlenet exports Inception and InceptionAux.
 */
export interface InceptionWidths {
  ch1x1: number;
  ch3x3red: number;
  ch3x3: number;
  ch5x5red: number;
  ch5x5: number;
  poolProj: number;
}

/** @public a model zoo block, as torchvision.models.googlenet exports Inception and InceptionAux. */
export function inceptionModule(x: Tensor, name: string, w: InceptionWidths): Tensor {
  const branch1 = basicConv(x, `${name}.branch1`, w.ch1x1, 1);
  const branch2 = basicConv(basicConv(x, `${name}.branch2.0`, w.ch3x3red, 1), `${name}.branch2.1`, w.ch3x3, 3, 1, 1);
  // torchvision's "5x5" branch convolves 3x3.
  const branch3 = basicConv(basicConv(x, `${name}.branch3.0`, w.ch5x5red, 1), `${name}.branch3.1`, w.ch5x5, 3, 1, 1);
  const pooled = maxPool2d(x, `${name}.branch4.0`, { kernel: 3, stride: 1, padding: 1, ceilMode: true });
  const branch4 = basicConv(pooled, `${name}.branch4.1`, w.poolProj, 1);
  return concat([branch1, branch2, branch3, branch4], `${name}.concat`);
}

/** @public a model zoo block, as torchvision.models.googlenet exports Inception and InceptionAux. */
export function inceptionAux(x: Tensor, name: string, classes: number): Tensor {
  x = adaptiveAvgPool2d(x, `${name}.pool`, [4, 4]);
  x = flatten(basicConv(x, `${name}.conv`, 128, 1), `${name}.flatten`);
  x = dense(x, `${name}.fc1`, { units: 1024, activation: 'relu', init: INIT });
  x = dropout(x, `${name}.dropout`, AUX_DROPOUT);
  return dense(x, `${name}.fc2`, { units: classes, init: INIT });
}

const widths = (...[ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj]: number[]): InceptionWidths => ({
  ch1x1,
  ch3x3red,
  ch3x3,
  ch5x5red,
  ch5x5,
  poolProj,
});

export function buildGoogLeNet(x: Tensor, options: ResolvedOptions): Heads {
  const auxLogits: Tensor[] = [];
  x = basicConv(x, 'conv1', 64, 7, 2, 3);
  x = maxPool2d(x, 'maxpool1', { kernel: 3, stride: 2, ceilMode: true });
  x = basicConv(x, 'conv2', 64, 1);
  x = basicConv(x, 'conv3', 192, 3, 1, 1);
  x = maxPool2d(x, 'maxpool2', { kernel: 3, stride: 2, ceilMode: true });

  x = inceptionModule(x, 'inception3a', widths(64, 96, 128, 16, 32, 32));
  x = inceptionModule(x, 'inception3b', widths(128, 128, 192, 32, 96, 64));
  x = maxPool2d(x, 'maxpool3', { kernel: 3, stride: 2, ceilMode: true });

  x = inceptionModule(x, 'inception4a', widths(192, 96, 208, 16, 48, 64));
  const aux1 = options.auxLogits ? inceptionAux(x, 'aux1', options.classes) : null;
  x = inceptionModule(x, 'inception4b', widths(160, 112, 224, 24, 64, 64));
  x = inceptionModule(x, 'inception4c', widths(128, 128, 256, 24, 64, 64));
  x = inceptionModule(x, 'inception4d', widths(112, 144, 288, 32, 64, 64));
  if (options.auxLogits) auxLogits.push(inceptionAux(x, 'aux2', options.classes), aux1!);
  x = inceptionModule(x, 'inception4e', widths(256, 160, 320, 32, 128, 128));
  x = maxPool2d(x, 'maxpool4', { kernel: 2, stride: 2, ceilMode: true });

  x = inceptionModule(x, 'inception5a', widths(256, 160, 320, 32, 128, 128));
  x = inceptionModule(x, 'inception5b', widths(384, 192, 384, 48, 128, 128));
  x = dropout(globalAvgPool(x, 'avgpool'), 'dropout', options.dropout);
  return { logits: dense(x, 'fc', { units: options.classes, init: INIT }), auxLogits };
}
