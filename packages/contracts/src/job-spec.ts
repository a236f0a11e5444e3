/**
 * What POST /v1/jobs accepts, as a JSON schema (validated by Ajv in the API, published in OpenAPI),
 * and how a submitted spec becomes the complete spec stored on the job (every hyperparameter filled in,
 * so that a later change of defaults never changes an old job).
 */
import type { TrainConfig } from '@trainyard/cnn/types';
import { BUILTIN_DATASETS, type BuiltinDataset } from './job-status.js';
import { HYPERPARAMETER_FIELDS } from './hyperparameter-table.js';

export interface ModelOptions {
  dropout?: number;
  auxLogits?: boolean;
  smallInput?: boolean;
}

export type DatasetRef = { builtin: BuiltinDataset } | { id: string };

/** The body of POST /v1/jobs. */
export interface JobSpec {
  name?: string;
  model: { architecture: string; options?: ModelOptions };
  dataset: DatasetRef;
  hyperparameters?: Partial<TrainConfig>;
  maxRuntimeSeconds?: number;
  fineTuneFrom?: string;
}

/** The spec as stored on a job: hyperparameters complete. */
export interface ResolvedJobSpec extends JobSpec {
  hyperparameters: TrainConfig;
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
  const properties: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(HYPERPARAMETER_FIELDS)) properties[name] = { ...field };
  properties.epochs = { ...HYPERPARAMETER_FIELDS.epochs, maximum: limits.maxEpochs };
  properties.batchSize = { ...HYPERPARAMETER_FIELDS.batchSize, maximum: limits.maxBatchSize };
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    description: 'Training hyperparameters; every one may be left out and takes its default.',
  };
}

/** The JSON schema of JobSpec; unknown fields anywhere are refused. */
export function buildJobSpecSchema(limits: JobSpecLimits = DEFAULT_JOB_SPEC_LIMITS): Record<string, unknown> {
  return {
    $id: 'JobSpec',
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
    },
  };
}

/** The default of every hyperparameter, as a complete TrainConfig. */
export function defaultTrainConfig(): TrainConfig {
  const config: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(HYPERPARAMETER_FIELDS)) config[name] = structuredClone(field.default);
  return config as unknown as TrainConfig;
}

/** Fills in every hyperparameter left out (nested objects too). The spec must already be valid. */
export function resolveJobSpec(spec: JobSpec): ResolvedJobSpec {
  const defaults = defaultTrainConfig();
  const given = spec.hyperparameters ?? {};
  const hyperparameters: TrainConfig = {
    ...defaults,
    ...given,
    augmentation: { ...defaults.augmentation, ...(given.augmentation ?? {}) },
    earlyStopping:
      given.earlyStopping === undefined || given.earlyStopping === null
        ? (given.earlyStopping ?? defaults.earlyStopping)
        : { ...given.earlyStopping, minDelta: given.earlyStopping.minDelta ?? 0 },
  };
  return { ...structuredClone(spec), hyperparameters };
}
