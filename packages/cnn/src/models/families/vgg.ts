/** VGG 11, 13, 16 and 19, with and without batch normalisation, as torchvision defines them. */
import { IMAGENET, type FamilyDescriptor, type VariantOf } from './family.js';
import { pool } from '../spatial.js';

/** A VGG configuration: a 3x3 convolution's width, or 'M' for a 2x2 max pooling. */
export type VggLayer = number | 'M';

export interface VggConfig {
  family: 'vgg';
  layers: VggLayer[];
  batchNorm: boolean;
}

// torchvision's vgg.py configurations A, B, D and E.
const VGG_LAYERS: Record<'vgg11' | 'vgg13' | 'vgg16' | 'vgg19', VggLayer[]> = {
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

function vggVariant(name: keyof typeof VGG_LAYERS, batchNorm: boolean): VariantOf<VggConfig> {
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

export const vgg: FamilyDescriptor<VggConfig> = {
  family: 'vgg',
  variants: [false, true].flatMap((batchNorm) =>
    (['vgg11', 'vgg13', 'vgg16', 'vgg19'] as const).map((name) => vggVariant(name, batchNorm)),
  ),
  options: () => ['dropout', 'smallInput'],
  classifierLayers: ['classifier.'],
  defaultDropout: 0.5,
  spatialPlan: (config) => [config.layers.filter((layer) => layer === 'M').map(() => pool(2, 2))],
};
