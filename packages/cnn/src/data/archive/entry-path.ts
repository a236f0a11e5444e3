/**
 * Archive entry names are untrusted: a name that is absolute or climbs out with ".." could make a
 * careless extractor write anywhere. We never write entries to disk, but refuse such archives anyway:
 * they are hostile or broken, and a clear error beats guessing what was meant.
 */
import { unsafePath, type Where } from '../dataset-errors.js';

/**
 * Returns the entry's path with "/" separators and without "." segments, or throws
 * dataset_unsafe_path. Backslashes count as separators (zips made on Windows use them).
 */
export function checkEntryPath(file: string, name: string): string {
  const where: Where = { file, entry: name };
  if (name.length === 0) throw unsafePath(where, 'has an empty name');
  if (name.includes('\0')) throw unsafePath(where, 'has a NUL character in its name');
  const normalized = name.replace(/\\/g, '/');
  if (normalized.startsWith('/') || /^[a-zA-Z]:/.test(normalized)) {
    throw unsafePath(where, 'has an absolute path; archive entries must be relative to the archive');
  }
  const segments = normalized.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw unsafePath(where, 'has ".." in its path, which could escape the archive\'s folder');
  return segments.join('/');
}
