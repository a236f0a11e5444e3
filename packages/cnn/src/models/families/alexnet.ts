/** AlexNet, as torchvision defines it. */
import { IMAGENET, type FamilyDescriptor } from './family.js';
import { conv, pool } from '../spatial.js';

export interface AlexNetConfig {
  family: 'alexnet';
}

export const alexnet: FamilyDescriptor<AlexNetConfig> = {
  family: 'alexnet',
  variants: [
    {
      name: 'alexnet',
      description:
        'AlexNet as torchvision defines it: the single-GPU "one weird trick" variant (Krizhevsky 2014) with ' +
        "64-192-384-256-256 filters and no local response normalisation, not the 2012 paper's two-GPU model. " +
        'smallInput: the classifier reads the feature map as it is instead of pooling it to 6x6.',
      nativeInputShape: IMAGENET,
      defaultClasses: 1000,
      config: { family: 'alexnet' },
    },
  ],
  options: () => ['dropout', 'smallInput'],
  classifierLayers: ['classifier.'],
  defaultDropout: 0.5,
  spatialPlan: () => [[conv(11, 4, 2), pool(3, 2), pool(3, 2), pool(3, 2)]],
};
