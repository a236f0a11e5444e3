/** A dataset row as the API shows it. */
import { datasetFiles, type Dataset } from '@trainyard/db';
import type { DatasetSummary } from './inspect.js';

export interface DatasetView {
  id: string;
  name: string;
  status: string;
  format: string | null;
  inputShape: [number, number, number] | null;
  classNames: string[];
  classCounts: number[];
  testClassCounts: number[];
  trainSize: number;
  testSize: number;
  testSplit: string | null;
  validation: { valid: boolean };
  files: Array<{ part: string; name: string; bytes: number }>;
  bytes: number;
  createdAt: string;
  links: { self: string };
}

export function toDatasetView(dataset: Dataset): DatasetView {
  const summary = dataset.summary as DatasetSummary | null;
  return {
    id: dataset.id,
    name: dataset.name,
    status: dataset.status,
    format: dataset.format,
    inputShape: summary?.inputShape ?? null,
    classNames: summary?.classNames ?? [],
    classCounts: summary?.classCounts ?? [],
    testClassCounts: summary?.testClassCounts ?? [],
    trainSize: summary?.trainSize ?? 0,
    testSize: summary?.testSize ?? 0,
    testSplit: summary?.testSplit ?? null,
    // Only validated datasets are stored as ready; an invalid upload is refused and never listed.
    validation: { valid: dataset.status === 'ready' },
    files: datasetFiles(dataset).map((file) => ({ part: file.part, name: file.name, bytes: file.bytes })),
    bytes: Number(dataset.bytes),
    createdAt: dataset.createdAt.toISOString(),
    links: { self: `/v1/datasets/${dataset.id}` },
  };
}
