import { StorageError } from './errors.js';

const MAX_KEY_LENGTH = 1024;

/**
 * Keys are "/"-separated, relative and normalised: no empty, "." or ".." segment, no backslash or
 * control character. The same rule on both backends keeps a key that works on disk working on S3,
 * and makes escaping the local root impossible before any path is built.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new StorageError('storage_invalid_key', `invalid storage key (length ${String(key?.length)})`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(key)) {
    throw new StorageError('storage_invalid_key', `storage key ${JSON.stringify(key)} contains a backslash or control character`);
  }
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new StorageError('storage_invalid_key', `storage key ${JSON.stringify(key)} has an empty, "." or ".." segment`);
    }
  }
}

/** A prefix is a key's beginning: the empty string (everything) or a valid key, optionally ending in "/". */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
