/** ResNet: torchvision's ImageNet layout and He et al.'s 6n+2 CIFAR layout. */
import { CIFAR, IMAGENET, type FamilyDescriptor, type VariantOf } from './family.js';
import { conv, pool } from '../spatial.js';

export interface ResNetConfig {
  family: 'resnet';
  /** 'imagenet': torchvision's ResNet; 'cifar': He et al. 2016 section 4.2 (6n+2 layers). */
  layout: 'imagenet' | 'cifar';
  block: 'basic' | 'bottleneck';
  blocksPerStage: number[];
}

function imagenetResNet(depth: number, block: 'basic' | 'bottleneck', blocksPerStage: number[]): VariantOf<ResNetConfig> {
  return {
    name: `resnet${depth}`,
    description:
      `ResNet-${depth} (He et al. 2015), ImageNet layout, ${block} blocks ${JSON.stringify(blocksPerStage)}, ` +
      'as torchvision defines it' +
      (block === 'bottleneck' ? ' (stride in the 3x3 convolution: "ResNet v1.5").' : '.') +
      ' smallInput: CIFAR-style stem (3x3 stride-1 convolution, no max pooling).',
    nativeInputShape: IMAGENET,
    defaultClasses: 1000,
    config: { family: 'resnet', layout: 'imagenet', block, blocksPerStage },
  };
}

function cifarResNet(depth: number): VariantOf<ResNetConfig> {
  const n = (depth - 2) / 6;
  return {
    name: `resnet${depth}`,
    description:
      `ResNet-${depth} for 32x32 inputs (He et al. 2015, section 4.2): 3 stages of ${n} basic blocks ` +
      'with 16/32/64 channels, projection shortcuts (1x1 convolution + batch norm) where the shape changes.',
    nativeInputShape: CIFAR,
    defaultClasses: 10,
    config: { family: 'resnet', layout: 'cifar', block: 'basic', blocksPerStage: [n, n, n] },
  };
}

export const resnet: FamilyDescriptor<ResNetConfig> = {
  family: 'resnet',
  variants: [
    imagenetResNet(18, 'basic', [2, 2, 2, 2]),
    imagenetResNet(34, 'basic', [3, 4, 6, 3]),
    imagenetResNet(50, 'bottleneck', [3, 4, 6, 3]),
    imagenetResNet(101, 'bottleneck', [3, 4, 23, 3]),
    imagenetResNet(152, 'bottleneck', [3, 8, 36, 3]),
    cifarResNet(20),
    cifarResNet(32),
    cifarResNet(44),
    cifarResNet(56),
    cifarResNet(110),
  ],
  options: (config) => (config.layout === 'imagenet' ? ['smallInput'] : []),
  classifierLayers: ['fc'],
  defaultDropout: 0,
  spatialPlan: (config, options) => {
    const stem = config.layout === 'cifar' || options.smallInput ? [conv(3, 1, 1)] : [conv(7, 2, 3), pool(3, 2, 1)];
    // Every stage after the first halves the size with a strided 3x3 convolution (its 1x1 stride-2
    // projection shortcut gives the same length).
    const downsampling = config.blocksPerStage.slice(1).map(() => conv(3, 2, 1));
    return [[...stem, ...downsampling]];
  },
};
