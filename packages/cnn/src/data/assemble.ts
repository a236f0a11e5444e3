/**
 * The last step of every reader: check labels against class names, hold out a test split when the
 * files bring none, and build either the in-memory Dataset or just its summary.
 */
import type { InputShape, Split } from '../types.js';
import { datasetProblem, malformed, type Where } from './dataset-errors.js';
import type { DatasetFormat, DatasetSummary, LoadedDataset, TestSplitOrigin } from './dataset-types.js';
import { InMemorySplit, subsetSplit } from './memory-split.js';
import type { ResolvedDatasetOptions } from './options.js';
import { countClasses, stratifiedSplit } from './stratified-split.js';

/** Examples as read from files: pixels are null when the caller only wants a summary. */
export interface Examples {
  /** Where the labels came from, for messages. */
  where: Where;
  shape: InputShape;
  labels: Int32Array;
  pixels: Uint8Array | null;
}

export interface AssembledData {
  format: DatasetFormat | 'synthetic';
  name: string;
  classNames: string[];
  train: Examples;
  test: Examples | null;
}

export function buildDataset(data: AssembledData, options: ResolvedDatasetOptions): LoadedDataset {
  checkAssembled(data);
  const inputShape = data.train.shape;
  const base = { name: data.name, format: data.format, inputShape, classNames: data.classNames };
  if (data.test) {
    return { ...base, testSplit: 'files', train: toSplit(data.train), test: toSplit(data.test) };
  }
  const { kept, heldOut } = holdOut(data, options);
  const all = toSplit(data.train);
  options.log('held out a stratified test split', { dataset: data.name, fraction: options.testFraction, seed: options.seed, testSize: heldOut.length });
  return { ...base, testSplit: 'held_out', train: subsetSplit(all, kept), test: subsetSplit(all, heldOut) };
}

export function summarizeAssembled(data: AssembledData, options: ResolvedDatasetOptions): DatasetSummary {
  checkAssembled(data);
  const classes = data.classNames.length;
  let trainLabels = data.train.labels;
  let testLabels: Int32Array;
  let testSplit: TestSplitOrigin = 'files';
  if (data.test) {
    testLabels = data.test.labels;
  } else {
    const { kept, heldOut } = holdOut(data, options);
    testLabels = heldOut.map((i) => trainLabels[i]);
    trainLabels = kept.map((i) => trainLabels[i]);
    testSplit = 'held_out';
  }
  return {
    format: data.format,
    name: data.name,
    inputShape: data.train.shape,
    classNames: data.classNames,
    classCounts: countClasses(trainLabels, classes),
    testClassCounts: countClasses(testLabels, classes),
    trainSize: trainLabels.length,
    testSize: testLabels.length,
    testSplit,
  };
}

function toSplit(examples: Examples): Split {
  if (!examples.pixels) throw new Error('pixels were not kept; read the dataset with pixels to build splits');
  return new InMemorySplit(examples.pixels, examples.labels, examples.shape);
}

function holdOut(data: AssembledData, options: ResolvedDatasetOptions) {
  const split = stratifiedSplit(data.train.labels, options.testFraction, options.seed);
  if (split.heldOut.length === 0) {
    throw malformed(
      data.train.where,
      `has too few images (${data.train.labels.length}) to hold out a test split of ${options.testFraction}; ` +
        'add images or provide a separate test set',
      { images: data.train.labels.length, testFraction: options.testFraction },
    );
  }
  return split;
}

function checkAssembled(data: AssembledData): void {
  const classes = data.classNames.length;
  for (const examples of [data.train, data.test]) {
    if (!examples) continue;
    checkLabels(examples, classes);
  }
  const { train, test } = data;
  if (train.labels.length === 0) throw malformed(train.where, 'contains no training images');
  if (test && test.labels.length === 0) throw malformed(test.where, 'contains no test images');
  if (test && test.shape.join('x') !== train.shape.join('x')) {
    throw malformed(test.where, `holds ${test.shape.join('x')} images but the training images are ${train.shape.join('x')}`, {
      testShape: test.shape,
      trainShape: train.shape,
    });
  }
  const present = countClasses(train.labels, classes).flatMap((count, c) => (count > 0 ? [data.classNames[c]] : []));
  if (present.length < 2) {
    const which = present.length === 0 ? 'none' : `only "${present[0]}"`;
    throw datasetProblem(
      'dataset_malformed',
      `A classifier needs at least 2 classes, but the training data of "${train.where.file}" has ${which}.`,
      { file: train.where.file, classesPresent: present },
    );
  }
}

function checkLabels(examples: Examples, classes: number): void {
  const labels = examples.labels;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes || labels[i] < 0) {
      throw malformed(examples.where, `label ${labels[i]} of example ${i} is not below the number of classes (${classes})`, {
        index: i,
        label: labels[i],
        classes,
      });
    }
  }
}
