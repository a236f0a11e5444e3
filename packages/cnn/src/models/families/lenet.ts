/** LeNet-5, as the PyTorch reference script defines it. */
import { CIFAR, type FamilyDescriptor } from './family.js';
import { conv, pool } from '../spatial.js';

export interface LeNetConfig {
  family: 'lenet';
}

export const lenet: FamilyDescriptor<LeNetConfig> = {
  family: 'lenet',
  variants: [
    {
      name: 'lenet5',
      description:
        'LeNet-5 as in the PyTorch reference script: two valid 5x5 convolutions (6, 16) with ReLU and 2x2 max ' +
        'pooling, then fully connected 120-84-classes (ReLU, no dropout).',
      nativeInputShape: CIFAR,
      defaultClasses: 10,
      config: { family: 'lenet' },
    },
  ],
  options: () => [],
  classifierLayers: ['fc1', 'fc2', 'fc3'],
  defaultDropout: 0,
  spatialPlan: () => [[conv(5), pool(2, 2), conv(5), pool(2, 2)]],
};
