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
  pixelLimits: PixelLimits,
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

export async function inspectUpload(
  files: UploadedFile[],
  format: DatasetFormat | undefined,
  readOptions: DatasetReadOptions,
  limits: { maxClasses: number } & PixelLimits,
): Promise<DatasetSummary> {
  const summary = await inspectInThread(files, format, readOptions, {
    maxImagePixels: limits.maxImagePixels,
    maxArchivePixels: limits.maxArchivePixels,
  });
  // Each class costs a row and a column of every evaluation's confusion matrix, stored and served.
  if (summary.classNames.length > limits.maxClasses) {
    throw new ApiError(
      'classes_limit',
      `The dataset has ${summary.classNames.length} classes; the limit is ${limits.maxClasses} (MAX_CLASSES).`,
      { limit: limits.maxClasses, classes: summary.classNames.length, variable: 'MAX_CLASSES' },
    );
  }
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
