/** A dataset row as the API shows it. */
import { datasetFiles, type Dataset } from '@trainyard/db';
import type { DatasetView } from '@trainyard/contracts';
import type { DatasetSummary } from './inspect.js';

export function toDatasetView(dataset: Dataset): DatasetView {
  const summary = dataset.summary as DatasetSummary | null;
  return {
    id: dataset.id,
    name: dataset.name,
    status: dataset.status as DatasetView['status'],
    format: dataset.format as DatasetView['format'],
    inputShape: summary?.inputShape ?? null,
    classNames: summary?.classNames ?? [],
    classCounts: summary?.classCounts ?? [],
    testClassCounts: summary?.testClassCounts ?? [],
    trainSize: summary?.trainSize ?? 0,
    testSize: summary?.testSize ?? 0,
    testSplit: summary?.testSplit ?? null,
    // Only validated datasets are stored as ready; an invalid upload is refused and never listed.
    validation: { valid: dataset.status === 'ready' },
    files: datasetFiles(dataset).map((file) => ({
      part: file.part as DatasetView['files'][number]['part'],
      name: file.name,
      bytes: file.bytes,
    })),
    bytes: Number(dataset.bytes),
    createdAt: dataset.createdAt.toISOString(),
    links: { self: `/v1/datasets/${dataset.id}` },
  };
}
