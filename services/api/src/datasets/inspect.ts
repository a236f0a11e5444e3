/**
 * Validates uploaded files with the CNN package's own readers (@trainyard/cnn/data, free of tfjs), in
 * a worker thread: what the worker will later read is exactly what was checked here, and the API's
 * event loop stays free meanwhile. The readers' CnnErrors (dataset_malformed, dataset_unsafe_path,
 * dataset_unsupported, dataset_too_large, invalid_option) keep their codes in the API's answer.
 */
import type { DatasetSummary } from '@trainyard/cnn/data';
import { ApiError, type DatasetFormat, type DatasetReadOptions } from '@trainyard/contracts';
import { runInspectionThread, type PixelLimits } from '../threads/inspection-thread.js';

export type { DatasetSummary };

export interface UploadedFile {
  /** The client's file name, used by format detection (t10k-*, test_batch.bin) and in messages. */
  name: string;
  path: string;
}

/** Heap of the inspecting thread: the readers keep labels, not pixels, so this is ample. */
const THREAD_HEAP_MB = 2048;

function inspectInThread(
  files: UploadedFile[],
  format: DatasetFormat | undefined,
  readOptions: DatasetReadOptions,
  pixelLimits: PixelLimits & { maxClasses: number },
): Promise<DatasetSummary> {
  return runInspectionThread<DatasetSummary>({
    script: new URL('./inspect-thread.js', import.meta.url),
    workerData: { source: { files, ...(format ? { format } : {}) }, options: { ...readOptions, limits: pixelLimits } },
    heapMb: THREAD_HEAP_MB,
    fallbackCode: 'dataset_invalid',
    // ERR_WORKER_OUT_OF_MEMORY: the upload needs more than THREAD_HEAP_MB just to be checked.
    outOfMemory: () => new ApiError('dataset_too_large', 'The dataset needs too much memory to be validated.'),
    what: 'dataset inspection',
  });
}

/** Each class costs a row and a column of every evaluation's confusion matrix, stored and served. */
function classesLimit(classes: number, limit: number): ApiError {
  return new ApiError('classes_limit', `The dataset has ${classes} classes; the limit is ${limit} (MAX_CLASSES).`, {
    limit,
    classes,
    variable: 'MAX_CLASSES',
  });
}

export async function inspectUpload(
  files: UploadedFile[],
  format: DatasetFormat | undefined,
  readOptions: DatasetReadOptions,
  limits: { maxClasses: number } & PixelLimits,
): Promise<DatasetSummary> {
  // An image folder's classes are counted by the readers from its folder names, before any image is
  // decoded (a class bomb is refused in moments); other formats' from their labels, below.
  const summary = await inspectInThread(files, format, readOptions, {
    maxImagePixels: limits.maxImagePixels,
    maxArchivePixels: limits.maxArchivePixels,
    maxClasses: limits.maxClasses,
  }).catch((error: unknown) => {
    const classes = (error as { details?: { classes?: unknown } }).details?.classes;
    throw error instanceof ApiError && error.code === 'classes_limit' && typeof classes === 'number'
      ? classesLimit(classes, limits.maxClasses)
      : error;
  });
  if (summary.classNames.length > limits.maxClasses) throw classesLimit(summary.classNames.length, limits.maxClasses);
  if (summary.classNames.length < 2) {
    throw new ApiError('dataset_invalid', `A dataset needs at least 2 classes; this one has ${summary.classNames.length}.`, {
      classes: summary.classNames.length,
    });
  }
  if (summary.trainSize === 0) throw new ApiError('dataset_invalid', 'The dataset has no training examples.');
  const populated = summary.classCounts.filter((count) => count > 0).length;
  if (populated < 2) {
    throw new ApiError('dataset_invalid', `Only ${populated} class has training examples; a classifier needs at least 2.`, {
      classesWithExamples: populated,
    });
  }
  return summary;
}
