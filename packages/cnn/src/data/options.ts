/**
 * Options of the dataset readers, their defaults, and the check that turns untrusted input into a
 * complete, valid set of options (CnnError 'invalid_option' naming the field otherwise).
 */
import { CnnError } from '../errors.js';

/** Bounds on what an archive may make us read; enforced on the bytes actually inflated, not on headers. */
export interface ArchiveLimits {
  /** Entries (files, folders, links) in one archive. */
  maxEntries: number;
  /** Uncompressed bytes of one entry. */
  maxEntryBytes: number;
  /** Uncompressed bytes of the whole archive (for a .tar.gz: the whole tar stream). */
  maxTotalBytes: number;
}

export interface DatasetLimits extends ArchiveLimits {
  /** Width x height of one image, checked on its header before it is decoded. */
  maxImagePixels: number;
  /**
   * Width x height of all images of one archive together, summed from their headers before any is
   * decoded: what decoding them would cost in CPU, however small the archive is.
   */
  maxArchivePixels: number;
  /** Bytes of decoded pixels kept in memory for the whole dataset (one byte per pixel and channel). */
  maxDecodedBytes: number;
  /** Classes of an image folder, counted from its folder names before any image is decoded. */
  maxClasses: number;
}

export type DataLog = (msg: string, fields?: object) => void;

export interface DatasetOptions {
  /** Dataset name reported in Dataset.name; defaults to the format (or the builtin's name). */
  name?: string;
  /** Image folders: resize every image to this [height, width]; default the most common size. */
  imageSize?: [height: number, width: number];
  /** Image folders: 1 or 3 channels; default 1 when every image is grayscale, else 3. */
  channels?: 1 | 3;
  /** Class names for IDX files, or to override CIFAR meta files; labels must be below their count. */
  classNames?: string[];
  /** Fraction held out as the test split when the files bring no test set of their own. */
  testFraction?: number;
  /** Seed of that held-out split. */
  seed?: number;
  limits?: Partial<DatasetLimits>;
  log?: DataLog;
}

export interface ResolvedDatasetOptions {
  name?: string;
  imageSize?: [number, number];
  channels?: 1 | 3;
  classNames?: string[];
  testFraction: number;
  seed: number;
  limits: DatasetLimits;
  log: DataLog;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/**
 * Generous defaults: a 2 GB upload of ordinary photos stays far inside them, a zip bomb does not.
 * maxDecodedBytes stays below the 4 GiB length limit of one typed array.
 */
export const DEFAULT_LIMITS: DatasetLimits = {
  maxEntries: 1_000_000,
  maxEntryBytes: 512 * MiB,
  maxTotalBytes: 8 * GiB,
  maxImagePixels: 4096 * 4096,
  maxArchivePixels: 2_000_000_000,
  maxDecodedBytes: 2 * GiB,
  maxClasses: 100_000,
};

export const DEFAULT_TEST_FRACTION = 0.2;
export const DEFAULT_SPLIT_SEED = 0;
/** Image sides accepted for imageSize (and for the most common size found). */
const MAX_IMAGE_SIDE = 4096;

export function resolveDatasetOptions(options: DatasetOptions = {}): ResolvedDatasetOptions {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
  const limits: DatasetLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(options.limits ?? {})) {
    if (!(key in DEFAULT_LIMITS)) {
      throw invalid(`limits.${key}`, `one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`, key);
    }
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) throw invalid(`limits.${key}`, 'a positive integer', value);
    limits[key as keyof DatasetLimits] = value;
  }
  const resolved: ResolvedDatasetOptions = {
    testFraction: options.testFraction ?? DEFAULT_TEST_FRACTION,
    seed: options.seed ?? DEFAULT_SPLIT_SEED,
    limits,
    log: options.log ?? (() => {}),
  };
  if (typeof resolved.testFraction !== 'number' || !(resolved.testFraction > 0 && resolved.testFraction < 1)) {
    throw invalid('testFraction', 'a number between 0 and 1 (exclusive)', options.testFraction);
  }
  if (!Number.isSafeInteger(resolved.seed)) throw invalid('seed', 'an integer', options.seed);
  if (options.name !== undefined) {
    if (typeof options.name !== 'string' || options.name.length === 0) throw invalid('name', 'a non-empty string', options.name);
    resolved.name = options.name;
  }
  if (options.imageSize !== undefined) {
    const size = options.imageSize;
    const ok = Array.isArray(size) && size.length === 2 && size.every((s) => Number.isInteger(s) && s >= 1 && s <= MAX_IMAGE_SIDE);
    if (!ok) throw invalid('imageSize', `[height, width] with integers from 1 to ${MAX_IMAGE_SIDE}`, size);
    resolved.imageSize = [size[0], size[1]];
  }
  if (options.channels !== undefined) {
    if (options.channels !== 1 && options.channels !== 3) throw invalid('channels', '1 or 3', options.channels);
    resolved.channels = options.channels;
  }
  if (options.classNames !== undefined) {
    resolved.classNames = checkClassNames(options.classNames, 'classNames');
  }
  if (options.log !== undefined && typeof options.log !== 'function') throw invalid('log', 'a function', options.log);
  return resolved;
}

/** At least two distinct, non-empty names. */
function checkClassNames(names: unknown, field: string): string[] {
  const ok =
    Array.isArray(names) &&
    names.length >= 2 &&
    names.every((n) => typeof n === 'string' && n.length > 0) &&
    new Set(names).size === names.length;
  if (!ok) throw invalid(field, 'at least two distinct, non-empty strings', names);
  return [...(names as string[])];
}

export function invalid(field: string, expected: string, value: unknown): CnnError {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return new CnnError('invalid_option', `Dataset option "${field}" must be ${expected}; got ${shown}.`, { field });
}
