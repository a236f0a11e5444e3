/**
 * A job spec over one of this service's configurable bounds answers `hyperparameter_limit`, naming
 * the limit and its variable, instead of a general `validation_failed`: the client asked for more than
 * this deployment allows, not for something malformed. The bounds are in the schema (Ajv's maximum);
 * a maximum equal to the configured value is the deployment's, any other is the CNN package's own.
 */
import { ApiError, TAG_LIMITS } from '@trainyard/contracts';
import type { ApiConfig } from '../config.js';
import { toApiError, validationDetails } from './errors.js';

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { limit?: unknown };
}

/**
 * A body refused only for its `tags`: too many answers `tags_limit`, a bad key or value `invalid_tag`
 * (their own codes, so a client can tell them from a malformed spec). Null when other fields failed too.
 */
export function tagsValidationError(errors: AjvError[]): ApiError | null {
  if (errors.length === 0 || !errors.every((e) => e.instancePath === '/tags' || e.instancePath?.startsWith('/tags/'))) return null;
  if (errors.some((e) => e.instancePath === '/tags' && e.keyword === 'maxProperties')) {
    return new ApiError('tags_limit', `A job carries at most ${TAG_LIMITS.maxTags} tags.`, { limit: TAG_LIMITS.maxTags });
  }
  if (errors.some((e) => e.instancePath === '/tags' && e.keyword === 'type')) return null;
  return new ApiError('invalid_tag', undefined, validationDetails(errors));
}

export function jobSpecValidationError(error: Error & { validation?: AjvError[] }, config: ApiConfig): ApiError {
  const bounds = [
    { path: '/hyperparameters/epochs', limit: config.maxEpochs, variable: 'MAX_EPOCHS' },
    { path: '/hyperparameters/batchSize', limit: config.maxBatchSize, variable: 'MAX_BATCH_SIZE' },
    { path: '/maxRuntimeSeconds', limit: config.maxRuntimeSeconds, variable: 'MAX_RUNTIME_SECONDS' },
  ];
  const errors = error.validation ?? [];
  const tags = tagsValidationError(errors);
  if (tags) return tags;
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
