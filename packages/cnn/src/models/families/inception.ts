/** Inception v3, as torchvision defines it. */
import type { FamilyDescriptor } from './family.js';
import { conv, pool } from '../spatial.js';

export interface InceptionConfig {
  family: 'inception';
}

export const inception: FamilyDescriptor<InceptionConfig> = {
  family: 'inception',
  variants: [
    {
      name: 'inception_v3',
      description:
        'Inception v3 (Szegedy et al. 2015) as torchvision defines it, with its auxiliary classifier ' +
        '(used only in training). Native input 299x299.',
      nativeInputShape: [299, 299, 3],
      defaultClasses: 1000,
      config: { family: 'inception' },
    },
  ],
  options: () => ['dropout', 'auxLogits'],
  classifierLayers: ['fc', 'AuxLogits.'],
  defaultDropout: 0.5,
  spatialPlan: (_config, options) => {
    const toMixed6 = [conv(3, 2), conv(3), pool(3, 2), conv(3), pool(3, 2), conv(3, 2)];
    const main = [...toMixed6, conv(3, 2)];
    // AuxLogits: 5x5 average pooling with stride 3, then a valid 5x5 convolution.
    const aux = [...toMixed6, pool(5, 3), conv(5)];
    return options.auxLogits ? [main, aux] : [main];
  },
};
