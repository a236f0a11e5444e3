/** The public shapes of the dataset readers, beside the Dataset contract in ../types.ts. */
import type { Dataset, InputShape } from '../types.js';

export type DatasetFormat = 'idx' | 'cifar10' | 'cifar100' | 'imagefolder';

/** A file to read: `name` is the user's name for it (used in messages), `path` where it is on disk. */
export interface DatasetFile {
  name: string;
  path: string;
}

export interface DatasetSource {
  files: DatasetFile[];
  /** Skip detection and read the files as this format. */
  format?: DatasetFormat;
}

/** How the test split came about: files of its own (t10k-*, test_batch.bin, test/), or held out. */
export type TestSplitOrigin = 'files' | 'held_out';

export interface LoadedDataset extends Dataset {
  readonly format: DatasetFormat | 'synthetic';
  readonly testSplit: TestSplitOrigin;
}

/** What GET /v1/datasets/{id} shows: everything but the pixels. */
export interface DatasetSummary {
  format: DatasetFormat | 'synthetic';
  name: string;
  inputShape: InputShape;
  classNames: string[];
  /** Training examples per class, in class order. */
  classCounts: number[];
  testClassCounts: number[];
  trainSize: number;
  testSize: number;
  testSplit: TestSplitOrigin;
}
