/**
 * ResNets. One builder for both layouts:
 * - 'imagenet': torchvision 0.14's ResNet-18/34/50/101/152 (7x7 stride-2 stem and 3x3 max pooling,
 *   stages of 64/128/256/512 planes, bottleneck expansion 4 with the stride in the 3x3 convolution
 *   ("ResNet v1.5", as torchvision), 1x1 convolution + batch norm projection where the shape changes,
 *   Kaiming normal fan_out convolutions). `smallInput` swaps the stem for the usual CIFAR one: a 3x3
 *   stride-1 convolution and no max pooling.
 * - 'cifar': He et al. 2015 section 4.2, ResNet-(6n+2) for 32x32 inputs, stages of 16/32/64 channels,
 *   as the PyTorch reference script builds it: projection shortcuts (the paper's option B) and
 *   PyTorch's default initialisation, which the script keeps.
 * Names follow torchvision (`conv1`, `layer2.0.conv1`, `layer2.0.downsample.0`, `fc`) in both layouts.
 */
import type { Heads } from './heads.js';
import { TORCH_DEFAULT, type WeightInit } from './init.js';
import { add, batchNorm, conv2d, dense, featureShape, globalAvgPool, maxPool2d, relu, type Tensor } from './layers.js';
import type { ResolvedOptions } from './options.js';
import type { ResNetConfig } from './families/index.js';

const BN_EPSILON = 1e-5;
const KAIMING_FAN_OUT: WeightInit = { kernel: { kind: 'kaiming-normal', mode: 'fanOut' }, bias: 'zeros' };
const BOTTLENECK_EXPANSION = 4;

/** Identity, or a 1x1 convolution + batch norm when the block changes resolution or width. */
function shortcut(x: Tensor, name: string, channels: number, stride: number, init: WeightInit): Tensor {
  if (stride === 1 && featureShape(x)[2] === channels) return x;
  const projected = conv2d(x, `${name}.downsample.0`, { filters: channels, kernel: 1, stride, bias: false, init });
  return batchNorm(projected, `${name}.downsample.1`, BN_EPSILON);
}

/**
 * Two 3x3 convolutions; the first carries the stride.
 * @public a model zoo block, as torchvision.models.resnet exports BasicBlock and Bottleneck for custom ResNets.
 */
export function basicBlock(x: Tensor, name: string, planes: number, stride: number, init: WeightInit): Tensor {
  let out = conv2d(x, `${name}.conv1`, { filters: planes, kernel: 3, stride, padding: 1, bias: false, init });
  out = relu(batchNorm(out, `${name}.bn1`, BN_EPSILON), `${name}.relu1`);
  out = conv2d(out, `${name}.conv2`, { filters: planes, kernel: 3, padding: 1, bias: false, init });
  out = batchNorm(out, `${name}.bn2`, BN_EPSILON);
  return relu(add([out, shortcut(x, name, planes, stride, init)], `${name}.add`), `${name}.relu`);
}

/**
 * 1x1 reduce, 3x3 (with the stride, as torchvision), 1x1 expand by 4.
 * @public a model zoo block, as torchvision.models.resnet exports BasicBlock and Bottleneck for custom ResNets.
 */
export function bottleneckBlock(x: Tensor, name: string, planes: number, stride: number, init: WeightInit): Tensor {
  const channels = planes * BOTTLENECK_EXPANSION;
  let out = conv2d(x, `${name}.conv1`, { filters: planes, kernel: 1, bias: false, init });
  out = relu(batchNorm(out, `${name}.bn1`, BN_EPSILON), `${name}.relu1`);
  out = conv2d(out, `${name}.conv2`, { filters: planes, kernel: 3, stride, padding: 1, bias: false, init });
  out = relu(batchNorm(out, `${name}.bn2`, BN_EPSILON), `${name}.relu2`);
  out = conv2d(out, `${name}.conv3`, { filters: channels, kernel: 1, bias: false, init });
  out = batchNorm(out, `${name}.bn3`, BN_EPSILON);
  return relu(add([out, shortcut(x, name, channels, stride, init)], `${name}.add`), `${name}.relu`);
}

export function buildResNet(x: Tensor, config: ResNetConfig, options: ResolvedOptions): Heads {
  const cifar = config.layout === 'cifar';
  const planes = cifar ? [16, 32, 64] : [64, 128, 256, 512];
  const init = cifar ? TORCH_DEFAULT : KAIMING_FAN_OUT;
  const block = config.block === 'basic' ? basicBlock : bottleneckBlock;

  if (cifar || options.smallInput) {
    x = conv2d(x, 'conv1', { filters: planes[0], kernel: 3, padding: 1, bias: false, init });
    x = relu(batchNorm(x, 'bn1', BN_EPSILON), 'relu');
  } else {
    x = conv2d(x, 'conv1', { filters: planes[0], kernel: 7, stride: 2, padding: 3, bias: false, init });
    x = relu(batchNorm(x, 'bn1', BN_EPSILON), 'relu');
    x = maxPool2d(x, 'maxpool', { kernel: 3, stride: 2, padding: 1 });
  }
  config.blocksPerStage.forEach((blocks, stage) => {
    for (let i = 0; i < blocks; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      x = block(x, `layer${stage + 1}.${i}`, planes[stage], stride, init);
    }
  });
  x = globalAvgPool(x, 'avgpool');
  return { logits: dense(x, 'fc', { units: options.classes, init: TORCH_DEFAULT }), auxLogits: [] };
}
