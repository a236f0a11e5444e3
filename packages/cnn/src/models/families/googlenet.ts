/** GoogLeNet / Inception v1, as torchvision defines it. */
import { IMAGENET, type FamilyDescriptor } from './family.js';
import { ceilPool, conv } from '../spatial.js';

export interface GoogLeNetConfig {
  family: 'googlenet';
}

export const googlenet: FamilyDescriptor<GoogLeNetConfig> = {
  family: 'googlenet',
  variants: [
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
  ],
  options: () => ['dropout', 'auxLogits'],
  classifierLayers: ['fc', 'aux1.', 'aux2.'],
  defaultDropout: 0.2,
  // Both auxiliary heads start with adaptive average pooling, so they add no constraint.
  spatialPlan: () => [[conv(7, 2, 3), ceilPool(3, 2), ceilPool(3, 2), ceilPool(3, 2), ceilPool(2, 2)]],
};
