export { defaultTrainConfig, resolveTrainConfig } from './config.js';
export type { PartialTrainConfig } from './config.js';
export { HYPERPARAMETERS, HYPERPARAMETER_RULES, trainConfigJsonSchema } from './hyperparameters.js';
export type { HyperparameterSpec } from './hyperparameters.js';
export { learningRateAt } from './schedule.js';
export { trainModel, BATCH_PROGRESS_INTERVAL_MS } from './trainer.js';
export type { TrainerInput, TrainerOutput } from './trainer.js';
export { computeNormalization } from './normalization.js';
export { augmentBatch } from './augment.js';
