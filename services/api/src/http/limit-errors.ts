/**
 * A job spec over one of this service's configurable bounds answers `hyperparameter_limit`, naming
 * the limit and its variable, instead of a general `validation_failed`: the client asked for more than
 * this deployment allows, not for something malformed. The bounds are in the schema (Ajv's maximum);
 * a maximum equal to the configured value is the deployment's, any other is the CNN package's own.
 */
import { ApiError } from '@trainyard/contracts';
import type { ApiConfig } from '../config.js';
import { toApiError } from './errors.js';

interface AjvError {
  instancePath?: string;
  keyword?: string;
  params?: { limit?: unknown };
}

export function jobSpecValidationError(error: Error & { validation?: AjvError[] }, config: ApiConfig): ApiError {
  const bounds = [
    { path: '/hyperparameters/epochs', limit: config.maxEpochs, variable: 'MAX_EPOCHS' },
    { path: '/hyperparameters/batchSize', limit: config.maxBatchSize, variable: 'MAX_BATCH_SIZE' },
    { path: '/maxRuntimeSeconds', limit: config.maxRuntimeSeconds, variable: 'MAX_RUNTIME_SECONDS' },
  ];
  const errors = error.validation ?? [];
  const over = errors.map((e) =>
    e.keyword === 'maximum' ? bounds.find((b) => b.path === e.instancePath && b.limit === e.params?.limit) : undefined,
  );
  if (errors.length === 0 || over.some((bound) => bound === undefined)) return toApiError(error);
  const found = over as typeof bounds;
  const message = found.map((b) => `${b.path.slice(1).replace('/', '.')} must be at most ${b.limit} (${b.variable})`).join('; ');
  return new ApiError(
    'hyperparameter_limit',
    `${message}.`,
    found.map((b) => ({ path: `body${b.path.replace(/\//g, '.')}`, limit: b.limit, variable: b.variable })),
  );
}
