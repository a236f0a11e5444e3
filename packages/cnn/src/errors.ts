/**
 * Every error the CNN package raises on purpose carries a stable code from the one error catalogue
 * (@trainyard/contracts), so that callers (the CLI, the worker, the API) can map it to a user-facing
 * answer without parsing messages, and the worker can store it on a failed job as it is.
 */
import type { ErrorCode } from '@trainyard/contracts';

/** The catalogue's codes this package raises; their meaning and HTTP status are the catalogue's. */
export const CNN_ERROR_CODES = [
  'unknown_architecture',
  'invalid_option',
  'input_too_small',
  'dataset_malformed',
  'dataset_unsafe_path',
  'dataset_unsupported',
  'dataset_unavailable',
  'dataset_too_large',
  'image_pixels_limit',
  'archive_pixels_limit',
  'classes_limit',
  'weights_unsafe',
  'weights_malformed',
  'weights_mismatch',
  'checkpoint_invalid',
  'engine_unavailable',
  'out_of_memory',
  'aborted',
  'training_diverged',
  'export_unsupported',
] as const satisfies readonly ErrorCode[];

export type CnnErrorCode = (typeof CNN_ERROR_CODES)[number];

export class CnnError extends Error {
  readonly code: CnnErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: CnnErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'CnnError';
    this.code = code;
    this.details = details;
  }
}

export function isCnnError(error: unknown, code?: CnnErrorCode): error is CnnError {
  return error instanceof CnnError && (code === undefined || error.code === code);
}
