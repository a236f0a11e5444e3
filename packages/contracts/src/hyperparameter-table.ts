/**
 * Every training hyperparameter a job may set: its JSON schema (type, range, default) and a one-line
 * description. This mirrors TrainConfig in packages/cnn/src/types.ts field for field.
 *
 * TEMPORARY: the CNN package is getting its own tfjs-free table (@trainyard/cnn/hyperparameters); once
 * it exists this file reads from it instead of repeating it.
 */
import type { TrainConfig } from '@trainyard/cnn/types';

type FieldSchema = Record<string, unknown> & { default: unknown; description: string };

export const HYPERPARAMETER_FIELDS: { [K in keyof TrainConfig]: FieldSchema } = {
  epochs: { type: 'integer', minimum: 1, maximum: 1000, default: 10, description: 'Passes over the training set.' },
  batchSize: { type: 'integer', minimum: 1, maximum: 4096, default: 64, description: 'Examples per step.' },
  optimizer: { type: 'string', enum: ['sgd', 'adam', 'rmsprop'], default: 'adam', description: 'Optimizer.' },
  learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.001, description: 'Peak learning rate.' },
  momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'SGD and RMSprop momentum.' },
  nesterov: { type: 'boolean', default: false, description: 'Nesterov momentum (SGD).' },
  weightDecay: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'L2 weight decay on kernels.' },
  schedule: { type: 'string', enum: ['constant', 'step', 'cosine'], default: 'constant', description: 'Learning-rate schedule.' },
  stepSize: { type: 'integer', minimum: 1, maximum: 1000, default: 30, description: 'Step schedule: epochs between decays.' },
  stepGamma: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.1, description: 'Step schedule: decay factor.' },
  warmupEpochs: { type: 'integer', minimum: 0, maximum: 100, default: 0, description: 'Linear warm-up epochs.' },
  gradientClipNorm: { type: 'number', minimum: 0, maximum: 1e6, default: 0, description: 'Global gradient-norm clip; 0 disables.' },
  labelSmoothing: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Label smoothing.' },
  auxLossWeight: { type: 'number', minimum: 0, maximum: 10, default: 0.3, description: 'Weight of auxiliary classifier losses.' },
  validationSplit: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Fraction held out for validation.' },
  earlyStopping: {
    anyOf: [
      { type: 'null' },
      {
        type: 'object',
        additionalProperties: false,
        required: ['patience'],
        properties: {
          patience: { type: 'integer', minimum: 1, maximum: 1000 },
          minDelta: { type: 'number', minimum: 0, maximum: 1000, default: 0 },
        },
      },
    ],
    default: null,
    description: 'Stop when validation loss stalls for `patience` epochs; null disables.',
  },
  augmentation: {
    type: 'object',
    additionalProperties: false,
    properties: {
      randomCropPadding: { type: 'integer', minimum: 0, maximum: 64, default: 0 },
      horizontalFlip: { type: 'boolean', default: false },
    },
    default: { randomCropPadding: 0, horizontalFlip: false },
    description: 'Training-time augmentation.',
  },
  normalize: { type: 'boolean', default: true, description: 'Bake per-channel mean/std into the model.' },
  seed: { type: 'integer', minimum: 0, maximum: 2147483647, default: 42, description: 'Random seed.' },
};
