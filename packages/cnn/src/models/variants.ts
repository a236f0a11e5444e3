/**
 * The named variants of every family, as data: what a builder needs to know about a variant, in the
 * style of torchvision's `resnet50 = ResNet(Bottleneck, [3, 4, 6, 3])` and Keras applications'
 * densenet.py tables. No tfjs here: the API reads this through `@trainyard/cnn/catalog`.
 */
import type { InputShape } from '../types.js';

/** A VGG configuration: a 3x3 convolution's width, or 'M' for a 2x2 max pooling. */
export type VggLayer = number | 'M';

export type FamilyConfig =
  | { family: 'lenet' }
  | { family: 'alexnet' }
  | { family: 'vgg'; layers: VggLayer[]; batchNorm: boolean }
  | { family: 'googlenet' }
  | { family: 'inception' }
  | {
      family: 'resnet';
      /** 'imagenet': torchvision's ResNet; 'cifar': He et al. 2016 section 4.2 (6n+2 layers). */
      layout: 'imagenet' | 'cifar';
      block: 'basic' | 'bottleneck';
      blocksPerStage: number[];
    }
  | {
      family: 'densenet';
      /** 'imagenet': torchvision's DenseNet; 'cifar': Huang et al. 2017's DenseNet-BC for 32x32. */
      layout: 'imagenet' | 'cifar';
      growthRate: number;
      blocksPerStage: number[];
      initFeatures: number;
      /** Width of the 1x1 bottleneck as a multiple of the growth rate (torchvision's bn_size). */
      bottleneckWidth: number;
    };

export type Family = FamilyConfig['family'];

export interface Variant {
  name: string;
  description: string;
  nativeInputShape: InputShape;
  defaultClasses: number;
  config: FamilyConfig;
}

const IMAGENET: InputShape = [224, 224, 3];
const CIFAR: InputShape = [32, 32, 3];

// torchvision's vgg.py configurations A, B, D and E.
const VGG_LAYERS: Record<'vgg11' | 'vgg13' | 'vgg16' | 'vgg19', VggLayer[]> = {
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

function vgg(name: keyof typeof VGG_LAYERS, batchNorm: boolean): Variant {
  const depth = name.slice(3);
  return {
    name: batchNorm ? `${name}_bn` : name,
    description:
      `VGG-${depth}${batchNorm ? ' with batch normalisation after every convolution' : ''} ` +
      '(Simonyan & Zisserman 2014), as torchvision defines it. smallInput: the classifier reads the ' +
      'feature map as it is instead of pooling it to 7x7 (512 inputs instead of 25,088 at 32x32).',
    nativeInputShape: IMAGENET,
    defaultClasses: 1000,
    config: { family: 'vgg', layers: VGG_LAYERS[name], batchNorm },
  };
}

function imagenetResNet(depth: number, block: 'basic' | 'bottleneck', blocksPerStage: number[]): Variant {
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

function cifarResNet(depth: number): Variant {
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

function imagenetDenseNet(depth: number, growthRate: number, blocksPerStage: number[], initFeatures: number): Variant {
  return {
    name: `densenet${depth}`,
    description:
      `DenseNet-${depth} (Huang et al. 2017, DenseNet-BC: bottleneck and compression 0.5), growth rate ` +
      `${growthRate}, dense blocks ${JSON.stringify(blocksPerStage)}, as torchvision defines it. ` +
      'smallInput: 3x3 stride-1 stem without max pooling.',
    nativeInputShape: IMAGENET,
    defaultClasses: 1000,
    config: { family: 'densenet', layout: 'imagenet', growthRate, blocksPerStage, initFeatures, bottleneckWidth: 4 },
  };
}

function cifarDenseNet(depth: number, growthRate: number, note: string): Variant {
  const n = (depth - 4) / 6;
  return {
    name: `densenet_bc_${depth}`,
    description:
      `DenseNet-BC with L=${depth}, k=${growthRate} for 32x32 inputs (Huang et al. 2017): a 3x3 convolution ` +
      `to 2k channels, 3 dense blocks of ${n} bottleneck layers, compression 0.5. ${note}`,
    nativeInputShape: CIFAR,
    defaultClasses: 10,
    config: {
      family: 'densenet',
      layout: 'cifar',
      growthRate,
      blocksPerStage: [n, n, n],
      initFeatures: 2 * growthRate,
      bottleneckWidth: 4,
    },
  };
}

export const VARIANTS: readonly Variant[] = [
  {
    name: 'lenet5',
    description:
      'LeNet-5 as in the PyTorch reference script: two valid 5x5 convolutions (6, 16) with ReLU and 2x2 max ' +
      'pooling, then fully connected 120-84-classes (ReLU, no dropout).',
    nativeInputShape: CIFAR,
    defaultClasses: 10,
    config: { family: 'lenet' },
  },
  {
    name: 'alexnet',
    description:
      'AlexNet as torchvision defines it: the single-GPU "one weird trick" variant (Krizhevsky 2014) with ' +
      '64-192-384-256-256 filters and no local response normalisation, not the 2012 paper\'s two-GPU model. ' +
      'smallInput: the classifier reads the feature map as it is instead of pooling it to 6x6.',
    nativeInputShape: IMAGENET,
    defaultClasses: 1000,
    config: { family: 'alexnet' },
  },
  vgg('vgg11', false),
  vgg('vgg13', false),
  vgg('vgg16', false),
  vgg('vgg19', false),
  vgg('vgg11', true),
  vgg('vgg13', true),
  vgg('vgg16', true),
  vgg('vgg19', true),
  {
    name: 'googlenet',
    description:
      'GoogLeNet / Inception v1 (Szegedy et al. 2014) as torchvision defines it, which departs from the ' +
      'paper: batch normalisation after every convolution, a 3x3 (not 5x5) convolution in the "5x5" branch, ' +
      'no local response normalisation. Two auxiliary classifiers, used only in training.',
    nativeInputShape: IMAGENET,
    defaultClasses: 1000,
    config: { family: 'googlenet' },
  },
  {
    name: 'inception_v3',
    description:
      'Inception v3 (Szegedy et al. 2015) as torchvision defines it, with its auxiliary classifier ' +
      '(used only in training). Native input 299x299.',
    nativeInputShape: [299, 299, 3],
    defaultClasses: 1000,
    config: { family: 'inception' },
  },
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
  imagenetDenseNet(121, 32, [6, 12, 24, 16], 64),
  imagenetDenseNet(161, 48, [6, 12, 36, 24], 96),
  imagenetDenseNet(169, 32, [6, 12, 32, 32], 64),
  imagenetDenseNet(201, 32, [6, 12, 48, 32], 64),
  cifarDenseNet(40, 12, 'A small member of the family for tests and quick runs (not in the paper).'),
  cifarDenseNet(100, 12, 'The paper\'s smallest DenseNet-BC.'),
];
