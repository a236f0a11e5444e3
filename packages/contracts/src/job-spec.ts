/**
 * What POST /v1/jobs accepts, as a JSON schema (validated by Ajv in the API, published in OpenAPI),
 * and how a submitted spec becomes the complete spec stored on the job (every hyperparameter filled in,
 * so that a later change of defaults never changes an old job).
 */
import { BUILTIN_DATASETS, type BuiltinDataset } from './job-status.js';
import { brokenHyperparameterRules, HYPERPARAMETERS, trainConfigJsonSchema, type HyperparameterSpec, type TrainConfig } from './hyperparameters.js';

export interface ModelOptions {
  dropout?: number;
  auxLogits?: boolean;
  smallInput?: boolean;
}

export type DatasetRef = { builtin: BuiltinDataset } | { id: string };

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
  model: { architecture: string; options?: ModelOptions };
  dataset: DatasetRef;
  hyperparameters?: Partial<TrainConfig>;
  maxRuntimeSeconds?: number;
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

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const uuidSchema = { type: 'string', pattern: UUID_PATTERN, maxLength: 36 } as const;

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
        },
      },
      dataset: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['builtin'],
            properties: { builtin: { type: 'string', enum: [...BUILTIN_DATASETS] } },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['id'],
            properties: { id: { ...uuidSchema, description: 'A dataset uploaded with POST /v1/datasets.' } },
          },
        ],
      },
      hyperparameters: hyperparametersSchema(limits),
      maxRuntimeSeconds: { type: 'integer', minimum: 1, maximum: limits.maxRuntimeSeconds },
      fineTuneFrom: { ...uuidSchema, description: 'A succeeded job of the same tenant whose weights to start from.' },
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
    if (value === undefined) result[spec.name] = spec.default !== null && typeof spec.default === 'object' ? structuredClone(spec.default) : spec.default;
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

/** Fills in every hyperparameter left out (nested objects too). The spec must already be schema-valid. */
export function resolveJobSpec(spec: JobSpec): ResolvedJobSpec {
  const hyperparameters = withDefaults(HYPERPARAMETERS, (spec.hyperparameters ?? {}) as Record<string, unknown>);
  return {
    ...structuredClone(spec),
    hyperparameters: hyperparameters as unknown as TrainConfig,
    resources: { accelerator: spec.resources?.accelerator ?? 'any' },
  };
}
