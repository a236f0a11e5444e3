export type { Storage, ObjectInfo, PutBody, PutOptions } from './storage.js';
export { StorageError, isStorageError, STORAGE_ERROR_CODES, type StorageErrorCode } from './errors.js';
export { assertValidKey, assertValidPrefix } from './keys.js';
export { withRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
export { FileStorage } from './file-storage.js';
export { S3Storage, type S3Settings } from './s3-storage.js';
export { openStorage, DEFAULT_STORAGE_URL, type OpenStorageOptions } from './open-storage.js';
export { jobKeys, datasetKeys, weightsKeys, checkpointPositionOf } from './job-keys.js';
export { createScratchDir, removeScratchDirsOf, removeOrphanedScratchDirs } from './scratch-dirs.js';
