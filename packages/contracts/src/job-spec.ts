/**
 * What POST /v1/jobs accepts, as a JSON schema (validated by Ajv in the API, published in OpenAPI),
 * and how a submitted spec becomes the complete spec stored on the job (every hyperparameter filled in,
 * so that a later change of defaults never changes an old job).
 */
import { BUILTIN_DATASETS, type BuiltinDataset } from './job-status.js';
import {
  brokenHyperparameterRules,
  HYPERPARAMETERS,
  trainConfigJsonSchema,
  type HyperparameterSpec,
  type TrainConfig,
} from './hyperparameters.js';

export interface ModelOptions {
  dropout?: number;
  auxLogits?: boolean;
  smallInput?: boolean;
}

/** How a job reads its dataset; left out, the dataset's own (an upload's fields, else what the files say). */
export interface DatasetReadOptions {
  /** Resize every image to [height, width]. */
  imageSize?: [number, number];
  /** 1 or 3: grey images are replicated to 3 channels, colour ones averaged to 1. */
  channels?: 1 | 3;
  /** Fraction held out as the test split when the files bring none. */
  testFraction?: number;
}

/** Which layers train: all ("none" frozen), all but the classifier, or all but those whose name starts with a prefix. */
export type FreezeSpec = 'none' | 'backbone' | string[];

export type DatasetRef = ({ builtin: BuiltinDataset } | { id: string }) & DatasetReadOptions;

/** Where a job's initial weights come from: an upload of POST /v1/weights, or a succeeded job's model. */
export type PretrainedRef = { weightsId: string } | { jobId: string };

/** The workers a job may run on: any worker, GPU workers only, or CPU workers only. */
export const ACCELERATORS = ['any', 'gpu', 'cpu'] as const;
export type Accelerator = (typeof ACCELERATORS)[number];
/** The class a worker declares: it is offered the jobs of its class and the `any` jobs. */
export type WorkerAccelerator = Exclude<Accelerator, 'any'>;

/** What a job needs from the worker that runs it. */
export interface JobResources {
  accelerator?: Accelerator;
}

/** The body of POST /v1/jobs. */
export interface JobSpec {
  name?: string;
  /** Kept on the job, not in its spec: PATCH /v1/jobs/{id} changes them. */
  tags?: Record<string, string>;
  model: { architecture: string; options?: ModelOptions; pretrained?: PretrainedRef; freeze?: FreezeSpec };
  dataset: DatasetRef;
  hyperparameters?: Partial<TrainConfig>;
  maxRuntimeSeconds?: number;
  /** Kept from before model.pretrained: the same as model.pretrained { jobId }. */
  fineTuneFrom?: string;
  resources?: JobResources;
}

/** The spec as stored on a job: hyperparameters and resources complete. */
export interface ResolvedJobSpec extends JobSpec {
  hyperparameters: TrainConfig;
  resources: Required<JobResources>;
}

/** Bounds an operator may tighten or widen (issue 5: each limit is configurable). */
export interface JobSpecLimits {
  maxEpochs: number;
  maxBatchSize: number;
  maxRuntimeSeconds: number;
}

export const DEFAULT_JOB_SPEC_LIMITS: JobSpecLimits = {
  maxEpochs: 1000,
  maxBatchSize: 4096,
  maxRuntimeSeconds: 7 * 24 * 3600,
};

/** How many tags a job carries at most, and how long a key and a value may be (the codes invalid_tag and tags_limit). */
export const TAG_LIMITS = { maxTags: 50, maxKeyLength: 64, maxValueLength: 256 } as const;
/** Letters, digits and . _ - / (no colon: GET /v1/jobs?tag=key:value splits at the first one). */
export const TAG_KEY_PATTERN = `^[A-Za-z0-9._/-]{1,${TAG_LIMITS.maxKeyLength}}$`;

/** The JSON schema of a tags object; `deletable`: a null value deletes the key (PATCH /v1/jobs/{id}). */
export function tagsSchema(deletable = false): Record<string, unknown> {
  const value = { type: 'string', maxLength: TAG_LIMITS.maxValueLength };
  return {
    type: 'object',
    maxProperties: TAG_LIMITS.maxTags,
    propertyNames: { type: 'string', pattern: TAG_KEY_PATTERN, maxLength: TAG_LIMITS.maxKeyLength },
    additionalProperties: deletable ? { oneOf: [value, { type: 'null' }] } : value,
    description:
      `At most ${TAG_LIMITS.maxTags} tags; a key is 1 to ${TAG_LIMITS.maxKeyLength} letters, digits, ".", "_", "-" or "/", ` +
      `a value a string of at most ${TAG_LIMITS.maxValueLength} characters` +
      (deletable ? '; a null value deletes the key, the other keys are added or replaced.' : '.'),
  };
}

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const uuidSchema = { type: 'string', pattern: UUID_PATTERN, maxLength: 36 } as const;

/** The dataset options a job and an upload both accept (the upload as multipart fields of the same names). */
export const datasetReadOptionsSchema = {
  imageSize: {
    type: 'array',
    items: { type: 'integer', minimum: 1, maximum: 4096 },
    minItems: 2,
    maxItems: 2,
    description: 'Resize every image to [height, width].',
  },
  channels: {
    type: 'integer',
    enum: [1, 3],
    description: '1 or 3 channels: grey is replicated to 3 (for 3-channel pretrained weights), colour averaged to 1.',
  },
  testFraction: {
    type: 'number',
    exclusiveMinimum: 0,
    exclusiveMaximum: 1,
    description: 'Fraction held out as the test split when the files bring no test set of their own.',
  },
} as const;

const freezeSchema = {
  description:
    '"none" (default): every layer trains; "backbone": everything but the classifier (and auxiliary heads); ' +
    'or a list of layer-name prefixes (names as in torchvision, e.g. "layer1"). Frozen batch norms run in inference mode.',
  oneOf: [
    { type: 'string', enum: ['none', 'backbone'] },
    { type: 'array', minItems: 1, maxItems: 200, items: { type: 'string', minLength: 1, maxLength: 200 } },
  ],
} as const;

const pretrainedSchema = {
  description: 'Initial weights: an upload of POST /v1/weights, or the model of a succeeded job of the same architecture.',
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['weightsId'],
      properties: { weightsId: { ...uuidSchema, description: 'Weights uploaded with POST /v1/weights.' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['jobId'],
      properties: { jobId: { ...uuidSchema, description: 'A succeeded job of this tenant.' } },
    },
  ],
} as const;

function hyperparametersSchema(limits: JobSpecLimits): Record<string, unknown> {
  const schema = trainConfigJsonSchema();
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  properties.epochs = { ...properties.epochs, maximum: Math.min(Number(properties.epochs?.maximum), limits.maxEpochs) };
  properties.batchSize = {
    ...properties.batchSize,
    maximum: Math.min(Number(properties.batchSize?.maximum), limits.maxBatchSize),
  };
  return schema;
}

/** The JSON schema of JobSpec; unknown fields anywhere are refused. */
export function buildJobSpecSchema(limits: JobSpecLimits = DEFAULT_JOB_SPEC_LIMITS): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['model', 'dataset'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      tags: tagsSchema(),
      model: {
        type: 'object',
        additionalProperties: false,
        required: ['architecture'],
        properties: {
          architecture: { type: 'string', minLength: 1, maxLength: 64, description: 'A name from GET /v1/architectures.' },
          options: {
            type: 'object',
            additionalProperties: false,
            properties: {
              dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
              auxLogits: { type: 'boolean' },
              smallInput: { type: 'boolean' },
            },
          },
          pretrained: pretrainedSchema,
          freeze: freezeSchema,
        },
      },
      dataset: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['builtin'],
            properties: { builtin: { type: 'string', enum: [...BUILTIN_DATASETS] }, ...datasetReadOptionsSchema },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['id'],
            properties: { id: { ...uuidSchema, description: 'A dataset uploaded with POST /v1/datasets.' }, ...datasetReadOptionsSchema },
          },
        ],
      },
      hyperparameters: hyperparametersSchema(limits),
      maxRuntimeSeconds: { type: 'integer', minimum: 1, maximum: limits.maxRuntimeSeconds },
      fineTuneFrom: {
        ...uuidSchema,
        description: 'The same as model.pretrained { "jobId": ... } (kept for older clients; not with model.pretrained).',
      },
      resources: {
        type: 'object',
        additionalProperties: false,
        properties: {
          accelerator: {
            type: 'string',
            enum: [...ACCELERATORS],
            default: 'any',
            description: 'Workers the job may run on: "gpu" or "cpu" workers only, or "any" (the default).',
          },
        },
      },
    },
  };
}

/** A hyperparameter left out takes its default; an object given in part gets the rest of its fields. */
function withDefaults(specs: readonly HyperparameterSpec[], given: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const spec of specs) {
    const value = given[spec.name];
    // Defaults are shared: an object default is copied (a primitive needs no copy, and structuredClone
    // of each one was a visible share of a submission's CPU time).
    const alias = spec.aliases?.find((candidate) => candidate.value === value);
    if (value === undefined)
      result[spec.name] = spec.default !== null && typeof spec.default === 'object' ? structuredClone(spec.default) : spec.default;
    else if (alias) result[spec.name] = alias.means;
    else if (spec.properties && value !== null && typeof value === 'object') {
      result[spec.name] = withDefaults(spec.properties, value as Record<string, unknown>);
    } else result[spec.name] = value;
  }
  return result;
}

/**
 * The rules between fields (HYPERPARAMETER_RULES) a configuration breaks, as a list of problems; empty
 * when it is consistent. The API answers them as invalid_option before queueing.
 */
export function hyperparameterProblems(config: TrainConfig): string[] {
  return brokenHyperparameterRules(config).map((rule) => rule.text);
}

/**
 * Fills in every hyperparameter left out (nested objects too) and the resources, and writes
 * `fineTuneFrom` as model.pretrained. The spec must already be schema-valid; `inherited` settles what
 * depends on the pretrained source: a fine-tune from a job keeps that job's normalisation, pretrained
 * weights default to "imagenet".
 */
export function resolveJobSpec(spec: JobSpec, inherited: { normalize?: TrainConfig['normalize'] } = {}): ResolvedJobSpec {
  const given = (spec.hyperparameters ?? {}) as Record<string, unknown>;
  const { fineTuneFrom, tags, ...rest } = structuredClone(spec);
  void fineTuneFrom;
  void tags;
  const pretrained = pretrainedOf(spec);
  const normalizeDefault = inherited.normalize ?? (pretrained && 'weightsId' in pretrained ? 'imagenet' : undefined);
  const hyperparameters = withDefaults(HYPERPARAMETERS, {
    ...(given.normalize === undefined && normalizeDefault !== undefined ? { normalize: normalizeDefault } : {}),
    ...given,
  });
  return {
    ...rest,
    model: { ...rest.model, ...(pretrained ? { pretrained } : {}) },
    hyperparameters: hyperparameters as unknown as TrainConfig,
    resources: { accelerator: spec.resources?.accelerator ?? 'any' },
  };
}

/** model.pretrained, or the older fineTuneFrom as { jobId } (a spec with both is refused before this). */
export function pretrainedOf(spec: Pick<JobSpec, 'model' | 'fineTuneFrom'>): PretrainedRef | undefined {
  return spec.model.pretrained ?? (spec.fineTuneFrom !== undefined ? { jobId: spec.fineTuneFrom } : undefined);
}
