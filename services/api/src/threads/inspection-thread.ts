/**
 * Runs a CNN-package check of an upload (a dataset, a weights file) in a pooled background thread (at a
 * lower CPU priority: background-thread.ts, background-thread-pool.ts), so that parsing it never blocks the API's
 * event loop. The thread answers `{ ok: true, summary }` or
 * `{ ok: false, error }`; the error's catalogue code (a CnnError's) is kept in the API's answer.
 */
import { backgroundThreads } from './background-threads.js';
import { ApiError, isErrorCode, type ErrorCode } from '@trainyard/contracts';

export type InspectionAnswer<T> =
  { ok: true; summary: T } | { ok: false; error: { name?: string; code?: string; message: string; details?: unknown } };

export interface InspectionThread {
  script: URL;
  workerData: unknown;
  heapMb: number;
  /** The code of an error without a catalogue code of its own. */
  fallbackCode: ErrorCode;
  /** The error when the check needs more than `heapMb`. */
  outOfMemory: () => ApiError;
  /** For messages: "dataset inspection". */
  what: string;
}

/** The dataset readers' pixel budgets, and the variables that set them (MAX_IMAGE_PIXELS, MAX_ARCHIVE_PIXELS). */
export interface PixelLimits {
  maxImagePixels: number;
  maxArchivePixels: number;
}

const PIXEL_LIMIT_VARIABLES: Record<string, string> = { maxImagePixels: 'MAX_IMAGE_PIXELS', maxArchivePixels: 'MAX_ARCHIVE_PIXELS' };

/**
 * A thread's error as the API's: its catalogue code kept; a pixel budget's details also name the
 * variable that sets it, as every limit's answer does.
 */
function threadError(error: { code?: string; message: string; details?: unknown }, fallbackCode: ErrorCode): ApiError {
  const { code, message } = error;
  if (!isErrorCode(code)) return new ApiError(fallbackCode, message);
  let details = error.details;
  const option = (details as { limit?: { option?: unknown } } | undefined)?.limit?.option;
  if (typeof option === 'string' && Object.hasOwn(PIXEL_LIMIT_VARIABLES, option)) {
    details = { ...(details as object), variable: PIXEL_LIMIT_VARIABLES[option] };
  }
  return new ApiError(code, message, details);
}

export async function runInspectionThread<T>(thread: InspectionThread): Promise<T> {
  let answer: InspectionAnswer<T>;
  try {
    answer = (await backgroundThreads.run(thread.script, thread.heapMb, thread.workerData)) as InspectionAnswer<T>;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') throw thread.outOfMemory();
    throw error;
  }
  if (answer.ok) return answer.summary;
  throw threadError(answer.error, thread.fallbackCode);
}

/** What a thread posts when its check throws: the error's name, code, message and details, cloneable. */
export function threadFailure(error: unknown): InspectionAnswer<never> {
  const e = error as { name?: string; code?: string; message?: string; details?: unknown };
  let details: unknown;
  try {
    details = structuredClone(e.details);
  } catch {
    details = undefined;
  }
  return { ok: false, error: { name: e.name, code: e.code, message: e.message ?? String(error), details } };
}
