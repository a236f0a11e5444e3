export const STORAGE_ERROR_CODES = {
  storage_not_found: 'The object does not exist.',
  storage_invalid_key: 'The key is empty, too long, or would reach outside the store.',
  storage_invalid_config: 'STORAGE_URL or the S3 settings are not usable.',
  storage_unavailable: 'The store could not be reached, even after retries.',
  storage_failed: 'The store refused the operation.',
} as const;

export type StorageErrorCode = keyof typeof STORAGE_ERROR_CODES;

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /** True when trying again later may succeed (network errors, 5xx, throttling). */
  readonly transient: boolean;

  constructor(code: StorageErrorCode, message: string, options: { transient?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    this.transient = options.transient ?? false;
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}
