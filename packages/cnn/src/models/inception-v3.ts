/**
 * Inception v3 (Szegedy et al. 2015) as torchvision 0.14 defines it: batch norm eps 1e-3 after every
 * convolution, average-pooling branches that count padded zeros (PyTorch's default), dropout 0.5
 * before the classifier, and the auxiliary classifier after Mixed_6e (only in the training model,
 * only with `auxLogits`, default true). The training model's outputs are [logits, aux].
 *
 * The auxiliary head needs Mixed_6e to be at least 17x17, hence a minimum input of 299x299 with it and
 * 75x75 without it.
 *
 * Initialisation as torchvision: N(0, 0.1) convolutions and classifier, N(0, 0.001) for the auxiliary
 * classifier's linear layer, PyTorch's default linear biases. (torchvision also marks the auxiliary
 * head's 5x5 convolution with stddev 0.01, but on its BasicConv2d wrapper, which its initialisation
 * loop never reads, so that convolution gets 0.1 as well; so does ours.)
 */
import type { Heads } from './heads.js';
import type { WeightInit } from './init.js';
import { avgPool2d, concat, convBnRelu, dense, dropout, globalAvgPool, maxPool2d, type Tensor } from './layers.js';
import type { ResolvedOptions } from './options.js';

const BN_EPSILON = 1e-3;
const INIT: WeightInit = { kernel: { kind: 'normal', std: 0.1 }, bias: 'torch-default' };
const AUX_FC_INIT: WeightInit = { kernel: { kind: 'normal', std: 0.001 }, bias: 'torch-default' };

type Pair = [number, number];

/** BasicConv2d with Inception v3's batch-norm epsilon and initialisation. */
function basicConv(x: Tensor, name: string, filters: number, kernel: number | Pair, stride = 1, padding: number | Pair = 0): Tensor {
  return convBnRelu(x, name, { filters, kernel, stride, padding, init: INIT }, BN_EPSILON);
}

/** 3x3 average pooling, stride 1, padding 1 (zeros counted): the pooling branch of A, C and E. */
function poolBranch(x: Tensor, name: string, filters: number): Tensor {
  return basicConv(avgPool2d(x, `${name}.avg_pool`, { kernel: 3, stride: 1, padding: 1 }), `${name}.branch_pool`, filters, 1);
}

/** @public a model zoo block, as torchvision.models.inception exports InceptionA to InceptionE and InceptionAux. */
export function inceptionA(x: Tensor, name: string, poolFeatures: number): Tensor {
  const branch1x1 = basicConv(x, `${name}.branch1x1`, 64, 1);
  let branch5x5 = basicConv(x, `${name}.branch5x5_1`, 48, 1);
  branch5x5 = basicConv(branch5x5, `${name}.branch5x5_2`, 64, 5, 1, 2);
  let branch3x3dbl = basicConv(x, `${name}.branch3x3dbl_1`, 64, 1);
  branch3x3dbl = basicConv(branch3x3dbl, `${name}.branch3x3dbl_2`, 96, 3, 1, 1);
  branch3x3dbl = basicConv(branch3x3dbl, `${name}.branch3x3dbl_3`, 96, 3, 1, 1);
  return concat([branch1x1, branch5x5, branch3x3dbl, poolBranch(x, name, poolFeatures)], `${name}.concat`);
}

/**
 * Grid reduction 35 -> 17.
 * @public a model zoo block, as torchvision.models.inception exports InceptionA to InceptionE and InceptionAux.
 */
export function inceptionB(x: Tensor, name: string): Tensor {
  const branch3x3 = basicConv(x, `${name}.branch3x3`, 384, 3, 2);
  let branch3x3dbl = basicConv(x, `${name}.branch3x3dbl_1`, 64, 1);
  branch3x3dbl = basicConv(branch3x3dbl, `${name}.branch3x3dbl_2`, 96, 3, 1, 1);
  branch3x3dbl = basicConv(branch3x3dbl, `${name}.branch3x3dbl_3`, 96, 3, 2);
  const branchPool = maxPool2d(x, `${name}.max_pool`, { kernel: 3, stride: 2 });
  return concat([branch3x3, branch3x3dbl, branchPool], `${name}.concat`);
}

/**
 * Factorised 7x7 convolutions (1x7 then 7x1).
 * @public a model zoo block, as torchvision.models.inception exports InceptionA to InceptionE and InceptionAux.
 */
export function inceptionC(x: Tensor, name: string, channels7x7: number): Tensor {
  const c7 = channels7x7;
  const branch1x1 = basicConv(x, `${name}.branch1x1`, 192, 1);
  let branch7x7 = basicConv(x, `${name}.branch7x7_1`, c7, 1);
  branch7x7 = basicConv(branch7x7, `${name}.branch7x7_2`, c7, [1, 7], 1, [0, 3]);
  branch7x7 = basicConv(branch7x7, `${name}.branch7x7_3`, 192, [7, 1], 1, [3, 0]);
  let branch7x7dbl = basicConv(x, `${name}.branch7x7dbl_1`, c7, 1);
  branch7x7dbl = basicConv(branch7x7dbl, `${name}.branch7x7dbl_2`, c7, [7, 1], 1, [3, 0]);
  branch7x7dbl = basicConv(branch7x7dbl, `${name}.branch7x7dbl_3`, c7, [1, 7], 1, [0, 3]);
  branch7x7dbl = basicConv(branch7x7dbl, `${name}.branch7x7dbl_4`, c7, [7, 1], 1, [3, 0]);
  branch7x7dbl = basicConv(branch7x7dbl, `${name}.branch7x7dbl_5`, 192, [1, 7], 1, [0, 3]);
  return concat([branch1x1, branch7x7, branch7x7dbl, poolBranch(x, name, 192)], `${name}.concat`);
}

/**
 * Grid reduction 17 -> 8.
 * @public a model zoo block, as torchvision.models.inception exports InceptionA to InceptionE and InceptionAux.
 */
export function inceptionD(x: Tensor, name: string): Tensor {
  let branch3x3 = basicConv(x, `${name}.branch3x3_1`, 192, 1);
  branch3x3 = basicConv(branch3x3, `${name}.branch3x3_2`, 320, 3, 2);
  let branch7x7x3 = basicConv(x, `${name}.branch7x7x3_1`, 192, 1);
  branch7x7x3 = basicConv(branch7x7x3, `${name}.branch7x7x3_2`, 192, [1, 7], 1, [0, 3]);
  branch7x7x3 = basicConv(branch7x7x3, `${name}.branch7x7x3_3`, 192, [7, 1], 1, [3, 0]);
  branch7x7x3 = basicConv(branch7x7x3, `${name}.branch7x7x3_4`, 192, 3, 2);
  const branchPool = maxPool2d(x, `${name}.max_pool`, { kernel: 3, stride: 2 });
  return concat([branch3x3, branch7x7x3, branchPool], `${name}.concat`);
}

/**
 * Expanded filter bank: 1x3 and 3x1 convolutions side by side.
 * @public a model zoo block, as torchvision.models.inception exports InceptionA to InceptionE and InceptionAux.
 */
export function inceptionE(x: Tensor, name: string): Tensor {
  const branch1x1 = basicConv(x, `${name}.branch1x1`, 320, 1);
  const split3x3 = basicConv(x, `${name}.branch3x3_1`, 384, 1);
  const branch3x3 = concat(
    [
      basicConv(split3x3, `${name}.branch3x3_2a`, 384, [1, 3], 1, [0, 1]),
      basicConv(split3x3, `${name}.branch3x3_2b`, 384, [3, 1], 1, [1, 0]),
    ],
    `${name}.branch3x3`,
  );
  let split3x3dbl = basicConv(x, `${name}.branch3x3dbl_1`, 448, 1);
  split3x3dbl = basicConv(split3x3dbl, `${name}.branch3x3dbl_2`, 384, 3, 1, 1);
  const branch3x3dbl = concat(
    [
      basicConv(split3x3dbl, `${name}.branch3x3dbl_3a`, 384, [1, 3], 1, [0, 1]),
      basicConv(split3x3dbl, `${name}.branch3x3dbl_3b`, 384, [3, 1], 1, [1, 0]),
    ],
    `${name}.branch3x3dbl`,
  );
  return concat([branch1x1, branch3x3, branch3x3dbl, poolBranch(x, name, 192)], `${name}.concat`);
}

/** @public a model zoo block, as torchvision.models.inception exports InceptionA to InceptionE and InceptionAux. */
export function inceptionAux(x: Tensor, name: string, classes: number): Tensor {
  x = avgPool2d(x, `${name}.avg_pool`, { kernel: 5, stride: 3 });
  x = basicConv(x, `${name}.conv0`, 128, 1);
  x = basicConv(x, `${name}.conv1`, 768, 5);
  return dense(globalAvgPool(x, `${name}.avgpool`), `${name}.fc`, { units: classes, init: AUX_FC_INIT });
}

export function buildInceptionV3(x: Tensor, options: ResolvedOptions): Heads {
  x = basicConv(x, 'Conv2d_1a_3x3', 32, 3, 2);
  x = basicConv(x, 'Conv2d_2a_3x3', 32, 3);
  x = basicConv(x, 'Conv2d_2b_3x3', 64, 3, 1, 1);
  x = maxPool2d(x, 'maxpool1', { kernel: 3, stride: 2 });
  x = basicConv(x, 'Conv2d_3b_1x1', 80, 1);
  x = basicConv(x, 'Conv2d_4a_3x3', 192, 3);
  x = maxPool2d(x, 'maxpool2', { kernel: 3, stride: 2 });
  x = inceptionA(x, 'Mixed_5b', 32);
  x = inceptionA(x, 'Mixed_5c', 64);
  x = inceptionA(x, 'Mixed_5d', 64);
  x = inceptionB(x, 'Mixed_6a');
  x = inceptionC(x, 'Mixed_6b', 128);
  x = inceptionC(x, 'Mixed_6c', 160);
  x = inceptionC(x, 'Mixed_6d', 160);
  x = inceptionC(x, 'Mixed_6e', 192);
  const auxLogits = options.auxLogits ? [inceptionAux(x, 'AuxLogits', options.classes)] : [];
  x = inceptionD(x, 'Mixed_7a');
  x = inceptionE(x, 'Mixed_7b');
  x = inceptionE(x, 'Mixed_7c');
  x = dropout(globalAvgPool(x, 'avgpool'), 'dropout', options.dropout);
  return { logits: dense(x, 'fc', { units: options.classes, init: INIT }), auxLogits };
}
