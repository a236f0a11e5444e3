/**
 * Every training hyperparameter, described once: its type, default, range and meaning, and the rules
 * between fields. The CNN package's trainer validates against this table (cnn/train/config.ts) and the
 * API builds its JSON schema from it and checks the same rules before queueing.
 *
 * Defaults are the recipe of bench/torch_reference.py (Adam 1e-3, batch 64, 5 epochs, no
 * schedule, no augmentation, no normalisation), so a run with defaults compares directly with PyTorch.
 */

export type OptimizerName = 'sgd' | 'adam' | 'rmsprop';
export type ScheduleName = 'constant' | 'step' | 'cosine';
export type NormalizeMode = 'none' | 'dataset' | 'imagenet';
/** Values of `normalize` (see its description). */
export const NORMALIZE_MODES = ['none', 'dataset', 'imagenet'] as const satisfies readonly NormalizeMode[];

/** A complete training configuration: every field of HYPERPARAMETERS, filled in. */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** SGD and RMSprop momentum. */
  momentum: number;
  nesterov: boolean;
  /** L2 weight decay added to the gradient of every kernel (PyTorch's weight_decay). */
  weightDecay: number;
  schedule: ScheduleName;
  /** step schedule: multiply the rate by `stepGamma` every `stepSize` epochs. */
  stepSize: number;
  stepGamma: number;
  /** Linear warm-up from 0 over this many epochs, then the schedule. */
  warmupEpochs: number;
  /** Clip the global gradient norm to this value; 0 disables. */
  gradientClipNorm: number;
  labelSmoothing: number;
  /** Weight of each auxiliary classifier's loss (GoogLeNet, Inception v3). */
  auxLossWeight: number;
  /** Fraction of the training set held out for validation (stratified, seeded); 0 disables. */
  validationSplit: number;
  /** Stop when validation loss has not improved by minDelta for `patience` epochs; null disables. */
  earlyStopping: { patience: number; minDelta: number } | null;
  augmentation: { randomCropPadding: number; horizontalFlip: boolean };
  /** Per-channel normalisation baked into the model: none, the training data's mean/std, or ImageNet's. */
  normalize: NormalizeMode;
  /** 1-based epoch at whose start every frozen layer is unfrozen; null keeps them frozen. */
  unfreezeAtEpoch: number | null;
  /** Export and test the weights of the epoch with the lowest validation loss. */
  restoreBestWeights: boolean;
  seed: number;
}

/** One field, in JSON-schema vocabulary (minimum, exclusiveMinimum, enum...). */
export interface HyperparameterSpec {
  name: string;
  type: 'integer' | 'number' | 'boolean' | 'string' | 'object';
  /**
   * Older spellings still accepted, and the value each one means (normalize: true means "dataset").
   * Resolving replaces them, so a resolved configuration only holds current values.
   */
  aliases?: ReadonlyArray<{ value: boolean; means: string }>;
  /** The default value; for `nullable` objects, null means "off". */
  default: unknown;
  description: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: readonly string[];
  /** The field may be null (earlyStopping: null disables it). */
  nullable?: boolean;
  /** Fields of an object-typed hyperparameter. */
  properties?: HyperparameterSpec[];
}

/** A rule that involves more than one field: the field it is reported on, its wording, its test. */
export interface HyperparameterRule {
  field: keyof TrainConfig;
  text: string;
  isBroken(config: TrainConfig): boolean;
}

/** The API checks these before queueing and the trainer's resolveTrainConfig enforces them. */
export const HYPERPARAMETER_RULES: readonly HyperparameterRule[] = [
  {
    field: 'nesterov',
    text: 'nesterov requires optimizer "sgd" and momentum > 0',
    isBroken: (config) => config.nesterov && (config.optimizer !== 'sgd' || config.momentum <= 0),
  },
  {
    field: 'warmupEpochs',
    text: 'warmupEpochs must be less than epochs',
    isBroken: (config) => config.warmupEpochs > 0 && config.warmupEpochs >= config.epochs,
  },
  {
    field: 'earlyStopping',
    text: 'earlyStopping requires validationSplit > 0',
    isBroken: (config) => config.earlyStopping !== null && config.validationSplit <= 0,
  },
  {
    field: 'restoreBestWeights',
    text: 'restoreBestWeights requires validationSplit > 0',
    isBroken: (config) => config.restoreBestWeights && config.validationSplit <= 0,
  },
  {
    field: 'unfreezeAtEpoch',
    text: 'unfreezeAtEpoch must be at most epochs',
    isBroken: (config) => config.unfreezeAtEpoch !== null && config.unfreezeAtEpoch > config.epochs,
  },
];

/** The rules a configuration breaks; empty when it is consistent. */
export function brokenHyperparameterRules(config: TrainConfig): HyperparameterRule[] {
  return HYPERPARAMETER_RULES.filter((rule) => rule.isBroken(config));
}

export const HYPERPARAMETERS: readonly HyperparameterSpec[] = [
  {
    name: 'epochs',
    type: 'integer',
    default: 5,
    minimum: 1,
    maximum: 10_000,
    description: 'Passes over the training set.',
  },
  {
    name: 'batchSize',
    type: 'integer',
    default: 64,
    minimum: 1,
    maximum: 4096,
    description: 'Images per training step (the last batch of an epoch may be smaller).',
  },
  {
    name: 'optimizer',
    type: 'string',
    default: 'adam',
    enum: ['sgd', 'adam', 'rmsprop'],
    description:
      'sgd (with optional momentum and Nesterov), adam (beta1 0.9, beta2 0.999, epsilon 1e-8 as in PyTorch), ' +
      'rmsprop (decay 0.99, epsilon 1e-8, PyTorch defaults).',
  },
  {
    name: 'learningRate',
    type: 'number',
    default: 1e-3,
    exclusiveMinimum: 0,
    maximum: 10,
    description: 'Base learning rate; the schedule and warm-up scale it per step.',
  },
  {
    name: 'momentum',
    type: 'number',
    default: 0.9,
    minimum: 0,
    exclusiveMaximum: 1,
    description: 'Momentum of sgd and rmsprop (ignored by adam). 0 gives plain SGD.',
  },
  {
    name: 'nesterov',
    type: 'boolean',
    default: false,
    description: 'Nesterov momentum (sgd only, needs momentum > 0).',
  },
  {
    name: 'weightDecay',
    type: 'number',
    default: 0,
    minimum: 0,
    maximum: 1,
    description:
      'L2 weight decay: weightDecay * w is added to the gradient of every convolution and dense kernel ' +
      '(PyTorch weight_decay semantics; biases and batch-norm parameters are not decayed).',
  },
  {
    name: 'schedule',
    type: 'string',
    default: 'constant',
    enum: ['constant', 'step', 'cosine'],
    description:
      'Learning-rate schedule, applied per step: constant; step (multiply by stepGamma every stepSize epochs); ' +
      'cosine (annealed to 0 over all steps after warm-up, like torch CosineAnnealingLR).',
  },
  {
    name: 'stepSize',
    type: 'integer',
    default: 30,
    minimum: 1,
    maximum: 10_000,
    description: 'step schedule: epochs between two decays.',
  },
  {
    name: 'stepGamma',
    type: 'number',
    default: 0.1,
    exclusiveMinimum: 0,
    maximum: 1,
    description: 'step schedule: factor applied to the rate at each decay.',
  },
  {
    name: 'warmupEpochs',
    type: 'integer',
    default: 0,
    minimum: 0,
    maximum: 10_000,
    description: 'Linear warm-up from 0 to learningRate over this many epochs (per step), then the schedule.',
  },
  {
    name: 'gradientClipNorm',
    type: 'number',
    default: 0,
    minimum: 0,
    maximum: 1e6,
    description: 'Clip the global L2 norm of all gradients to this value before the update; 0 disables.',
  },
  {
    name: 'labelSmoothing',
    type: 'number',
    default: 0,
    minimum: 0,
    exclusiveMaximum: 1,
    description: 'Cross-entropy target = (1 - labelSmoothing) * one-hot + labelSmoothing / classes.',
  },
  {
    name: 'auxLossWeight',
    type: 'number',
    default: 0.3,
    minimum: 0,
    maximum: 1,
    description:
      'Weight of each auxiliary classifier loss (GoogLeNet, Inception v3) added to the main loss; ' +
      'ignored for models without auxiliary heads.',
  },
  {
    name: 'validationSplit',
    type: 'number',
    default: 0,
    minimum: 0,
    maximum: 0.5,
    description: 'Fraction of the training set held out for validation (stratified by class, seeded); 0 disables.',
  },
  {
    name: 'earlyStopping',
    type: 'object',
    default: null,
    nullable: true,
    description:
      'Stop when validation loss has not improved by more than minDelta for patience epochs; null disables. ' +
      'The final model is the one of the last epoch trained.',
    properties: [
      {
        name: 'patience',
        type: 'integer',
        default: 5,
        minimum: 1,
        maximum: 10_000,
        description: 'Epochs without improvement before stopping.',
      },
      {
        name: 'minDelta',
        type: 'number',
        default: 0,
        minimum: 0,
        maximum: 1e6,
        description: 'Smallest decrease of validation loss that counts as an improvement.',
      },
    ],
  },
  {
    name: 'augmentation',
    type: 'object',
    default: { randomCropPadding: 0, horizontalFlip: false },
    description: 'Training-time augmentation, applied per image with the seeded generator.',
    properties: [
      {
        name: 'randomCropPadding',
        type: 'integer',
        default: 0,
        minimum: 0,
        maximum: 64,
        description: 'Zero-pad each side by this many pixels, then crop back to the input size at a random offset; 0 disables.',
      },
      {
        name: 'horizontalFlip',
        type: 'boolean',
        default: false,
        description: 'Mirror each image left-right with probability 0.5.',
      },
    ],
  },
  {
    name: 'normalize',
    type: 'string',
    default: 'none',
    enum: NORMALIZE_MODES,
    aliases: [
      { value: true, means: 'dataset' },
      { value: false, means: 'none' },
    ],
    description:
      'Per-channel (x - mean) / std baked into the model, so the exported model still takes [0, 1] pixels: ' +
      'none; dataset (mean and standard deviation of the training images; true means this); imagenet ' +
      '(mean 0.485/0.456/0.406, std 0.229/0.224/0.225, what torchvision weights expect; for googlenet and ' +
      'inception_v3 mean 0.5 and std 0.5, what their transform_input does). Left out, it is imagenet with ' +
      "pretrained weights and the source job's normalisation when fine-tuning from a job.",
  },
  {
    name: 'unfreezeAtEpoch',
    type: 'integer',
    default: null,
    nullable: true,
    minimum: 1,
    maximum: 10_000,
    description: 'Unfreeze every layer model.freeze froze at the start of this epoch (1-based); null keeps them frozen.',
  },
  {
    name: 'restoreBestWeights',
    type: 'boolean',
    default: false,
    description:
      'Export and test the weights of the epoch with the lowest validation loss instead of the last epoch ' +
      "(needs validationSplit > 0; that epoch's checkpoint is kept whatever CHECKPOINTS_KEPT says).",
  },
  {
    name: 'seed',
    type: 'integer',
    default: 55,
    minimum: 0,
    maximum: 4_294_967_295,
    description: 'Seeds initialisation, dropout, shuffling, augmentation and the validation split: same seed, same engine, same metrics.',
  },
];

/** A JSON Schema (draft 2020-12 vocabulary) for a partial TrainConfig, as the API accepts it. */
export function trainConfigJsonSchema(): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(HYPERPARAMETERS.map((spec) => [spec.name, specToSchema(spec)])),
    description: `Training hyperparameters; every field is optional. Rules: ${HYPERPARAMETER_RULES.map((rule) => rule.text).join('; ')}.`,
  };
}

function specToSchema(spec: HyperparameterSpec): Record<string, unknown> {
  const types = [
    spec.type,
    ...(spec.aliases ? [...new Set(spec.aliases.map((a) => typeof a.value))] : []),
    ...(spec.nullable ? ['null'] : []),
  ];
  const schema: Record<string, unknown> = {
    type: types.length === 1 ? spec.type : types,
    description: spec.description,
    default: spec.default,
  };
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'enum'] as const) {
    if (spec[key] !== undefined) schema[key] = spec[key];
  }
  if (spec.enum && spec.aliases) schema.enum = [...spec.enum, ...spec.aliases.map((alias) => alias.value)];
  if (spec.properties) {
    schema.additionalProperties = false;
    schema.properties = Object.fromEntries(spec.properties.map((p) => [p.name, specToSchema(p)]));
  }
  return schema;
}

/** The defaults, assembled from the table (a fresh object each call). */
export function defaultTrainConfig(): TrainConfig {
  return Object.fromEntries(HYPERPARAMETERS.map((spec) => [spec.name, structuredClone(spec.default)])) as unknown as TrainConfig;
}
