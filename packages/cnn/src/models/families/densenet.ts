/** DenseNet-BC: torchvision's ImageNet layout and Huang et al.'s CIFAR layout. */
import { CIFAR, IMAGENET, type FamilyDescriptor, type VariantOf } from './family.js';
import { conv, pool } from '../spatial.js';

export interface DenseNetConfig {
  family: 'densenet';
  /** 'imagenet': torchvision's DenseNet; 'cifar': Huang et al. 2017's DenseNet-BC for 32x32. */
  layout: 'imagenet' | 'cifar';
  growthRate: number;
  blocksPerStage: number[];
  initFeatures: number;
  /** Width of the 1x1 bottleneck as a multiple of the growth rate (torchvision's bn_size). */
  bottleneckWidth: number;
}

function imagenetDenseNet(depth: number, growthRate: number, blocksPerStage: number[], initFeatures: number): VariantOf<DenseNetConfig> {
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

function cifarDenseNet(depth: number, growthRate: number, note: string): VariantOf<DenseNetConfig> {
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

export const densenet: FamilyDescriptor<DenseNetConfig> = {
  family: 'densenet',
  variants: [
    imagenetDenseNet(121, 32, [6, 12, 24, 16], 64),
    imagenetDenseNet(161, 48, [6, 12, 36, 24], 96),
    imagenetDenseNet(169, 32, [6, 12, 32, 32], 64),
    imagenetDenseNet(201, 32, [6, 12, 48, 32], 64),
    cifarDenseNet(40, 12, 'A small member of the family for tests and quick runs (not in the paper).'),
    cifarDenseNet(100, 12, "The paper's smallest DenseNet-BC."),
  ],
  options: (config) => (config.layout === 'imagenet' ? ['dropout', 'smallInput'] : ['dropout']),
  classifierLayers: ['classifier'],
  // torchvision's drop_rate.
  defaultDropout: 0,
  spatialPlan: (config, options) => {
    const stem = config.layout === 'cifar' || options.smallInput ? [conv(3, 1, 1)] : [conv(7, 2, 3), pool(3, 2, 1)];
    // A transition (2x2 average pooling, stride 2) follows every dense block but the last.
    const transitions = config.blocksPerStage.slice(1).map(() => pool(2, 2));
    return [[...stem, ...transitions]];
  },
};
