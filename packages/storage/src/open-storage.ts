import { fileURLToPath } from 'node:url';
import { StorageError } from './errors.js';
import { FileStorage } from './file-storage.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { S3Storage } from './s3-storage.js';
import type { Storage } from './storage.js';

export const DEFAULT_STORAGE_URL = 'file:./data/storage';

export interface OpenStorageOptions {
  /** S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE are read from here. */
  env?: NodeJS.ProcessEnv;
  retry?: Partial<RetryPolicy>;
}

/**
 * Opens the store named by a STORAGE_URL:
 * - `file:///absolute/path`, `file://./relative/path`, `file:relative/path` or a plain path: a local
 *   directory, created if missing;
 * - `s3://bucket/optional/prefix`: S3 or any S3-compatible server (S3_ENDPOINT for MinIO and friends).
 */
export function openStorage(url: string | undefined, options: OpenStorageOptions = {}): Storage {
  const env = options.env ?? process.env;
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const target = url === undefined || url.trim() === '' ? DEFAULT_STORAGE_URL : url.trim();

  if (target.startsWith('s3://')) return new S3Storage(parseS3Url(target, env), retry);
  return new FileStorage(localPathOf(target), retry);
}

function localPathOf(target: string): string {
  // "file://./relative" (and "../"): a path relative to the working directory, as the config docs allow.
  if (target.startsWith('file://./') || target.startsWith('file://../')) return target.slice('file://'.length);
  if (target.startsWith('file://')) {
    try {
      return fileURLToPath(target);
    } catch (error) {
      throw new StorageError('storage_invalid_config', `STORAGE_URL ${target} is not a usable file URL: ${(error as Error).message}`);
    }
  }
  // "file:relative/path": WHATWG URLs would make it absolute, so it is read as a path by hand.
  if (target.startsWith('file:')) return target.slice('file:'.length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new StorageError('storage_invalid_config', `STORAGE_URL must start with file:// or s3://, got ${target}`);
  }
  return target;
}

function parseS3Url(target: string, env: NodeJS.ProcessEnv): ConstructorParameters<typeof S3Storage>[0] {
  const rest = target.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefixPath = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new StorageError('storage_invalid_config', `STORAGE_URL ${target}: "${bucket}" is not a valid bucket name`);
  }
  const endpoint = env.S3_ENDPOINT?.trim() || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new StorageError('storage_invalid_config', `S3_ENDPOINT must be an http:// or https:// URL, got ${endpoint}`);
  }
  const accessKeyId = env.S3_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY || undefined;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new StorageError('storage_invalid_config', 'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither');
  }
  const pathStyle = env.S3_FORCE_PATH_STYLE?.trim().toLowerCase();
  if (pathStyle !== undefined && pathStyle !== '' && !['true', 'false', '1', '0'].includes(pathStyle)) {
    throw new StorageError('storage_invalid_config', `S3_FORCE_PATH_STYLE must be true or false, got ${pathStyle}`);
  }
  return {
    bucket,
    prefix: prefixPath === '' ? '' : `${prefixPath}/`,
    endpoint,
    region: env.S3_REGION?.trim() || env.AWS_REGION?.trim() || 'us-east-1',
    accessKeyId,
    secretAccessKey,
    // Custom endpoints (MinIO, s3rver) rarely have wildcard DNS for bucket subdomains.
    forcePathStyle: pathStyle ? pathStyle === 'true' || pathStyle === '1' : endpoint !== undefined,
  };
}
