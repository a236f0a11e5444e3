/**
 * Validates uploaded files with the CNN package's own readers (@trainyard/cnn/data, free of tfjs):
 * what the worker will later read is exactly what was checked here. Throws their CnnErrors
 * (dataset_malformed, dataset_unsafe_path, dataset_unsupported, dataset_too_large), which keep their
 * codes in the API's answer.
 */
import { ApiError, type DatasetFormat } from '@trainyard/contracts';

/** What GET /v1/datasets/{id} shows (the CNN package's DatasetSummary). */
export interface DatasetSummary {
  format: string;
  name: string;
  inputShape: [number, number, number];
  classNames: string[];
  classCounts: number[];
  testClassCounts: number[];
  trainSize: number;
  testSize: number;
  testSplit: string;
}

export interface UploadedFile {
  /** The client's file name, used by format detection (t10k-*, test_batch.bin) and in messages. */
  name: string;
  path: string;
}

type Inspect = (source: { files: UploadedFile[]; format?: DatasetFormat }) => Promise<DatasetSummary>;

let inspect: Inspect | null = null;

async function loadInspector(): Promise<Inspect> {
  if (inspect) return inspect;
  const data = (await import('@trainyard/cnn/data')) as unknown as { inspectDataset?: Inspect };
  if (typeof data.inspectDataset !== 'function') {
    throw new ApiError('internal', 'The dataset readers of @trainyard/cnn/data are not available in this build.');
  }
  inspect = data.inspectDataset;
  return inspect;
}

export async function inspectUpload(files: UploadedFile[], format: DatasetFormat | undefined): Promise<DatasetSummary> {
  const summary = await (await loadInspector())({ files, ...(format ? { format } : {}) });
  if (summary.classNames.length < 2) {
    throw new ApiError('dataset_invalid', `A dataset needs at least 2 classes; this one has ${summary.classNames.length}.`, {
      classes: summary.classNames.length,
    });
  }
  const empty = summary.classNames.filter((_, index) => (summary.classCounts[index] ?? 0) === 0);
  if (summary.trainSize === 0) throw new ApiError('dataset_invalid', 'The dataset has no training examples.');
  if (empty.length > 0 && summary.classNames.length - empty.length < 2) {
    throw new ApiError('dataset_invalid', 'Fewer than 2 classes have training examples.', { emptyClasses: empty });
  }
  return summary;
}
