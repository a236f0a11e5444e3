/**
 * Every problem with a dataset names the file (the user's name for it, never a temporary path) and,
 * inside an archive, the entry, so that a user can find and fix it. These helpers build those errors.
 */
import { CnnError, type CnnErrorCode } from '../errors.js';

/** Where a problem was found: a file and, inside an archive, an entry. */
export interface Where {
  file: string;
  entry?: string;
}

function describeWhere(where: Where): string {
  return where.entry === undefined ? `"${where.file}"` : `"${where.file}", entry "${where.entry}"`;
}

function datasetError(code: CnnErrorCode, where: Where, problem: string, details?: Record<string, unknown>): CnnError {
  return new CnnError(code, `${describeWhere(where)}: ${problem}`, { ...where, ...details });
}

/** Truncated, inconsistent, or not what it claims to be. */
export function malformed(where: Where, problem: string, details?: Record<string, unknown>): CnnError {
  return datasetError('dataset_malformed', where, problem, details);
}

/** An archive entry that could escape its folder or is not a regular file. */
export function unsafePath(where: Where, problem: string, details?: Record<string, unknown>): CnnError {
  return datasetError('dataset_unsafe_path', where, problem, details);
}

export function unsupported(where: Where, problem: string, details?: Record<string, unknown>): CnnError {
  return datasetError('dataset_unsupported', where, problem, details);
}

/** A limit was reached; `limit` names the option that raises it. */
export function tooLarge(where: Where, problem: string, limit: { option: string; value: number }): CnnError {
  return datasetError('dataset_too_large', where, `${problem} (limit ${limit.option} = ${limit.value})`, { limit });
}

/**
 * An image, or the images of an archive together, past a pixel budget (maxImagePixels,
 * maxArchivePixels): found from the headers, before anything is decoded.
 */
export function tooManyPixels(
  code: 'image_pixels_limit' | 'archive_pixels_limit',
  where: Where,
  problem: string,
  limit: { option: 'maxImagePixels' | 'maxArchivePixels'; value: number },
  pixels: number,
): CnnError {
  return datasetError(code, where, `${problem} (limit ${limit.option} = ${limit.value})`, { limit, pixels });
}

/** An image folder with more class folders than maxClasses: found from the entries' paths, before anything is decoded. */
export function tooManyClasses(where: Where, classes: number, limit: { option: 'maxClasses'; value: number }): CnnError {
  return datasetError('classes_limit', where, `has ${classes} class folders (limit ${limit.option} = ${limit.value})`, { limit, classes });
}

/** A problem with the dataset as a whole rather than one file (too few classes, mixed formats). */
export function datasetProblem(code: CnnErrorCode, problem: string, details?: Record<string, unknown>): CnnError {
  return new CnnError(code, problem, details);
}
