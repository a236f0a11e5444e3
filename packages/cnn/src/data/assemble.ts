/**
 * The last step of every reader: check labels against class names, hold out a test split when the
 * files bring none, and build either the in-memory Dataset or just its summary.
 */
import type { InputShape, Split } from '../types.js';
import { datasetProblem, malformed, type Where } from './dataset-errors.js';
import type { DatasetFormat, DatasetSummary, LoadedDataset, TestSplitOrigin } from './dataset-types.js';
import { InMemorySplit, subsetSplit } from './memory-split.js';
import { resizeBilinear, toChannels } from './image/pixels.js';
import { tooLarge } from './dataset-errors.js';
import type { ResolvedDatasetOptions } from './options.js';
import { countClasses, stratifiedSplit } from './stratified-split.js';

/** Examples as read from files: pixels are null when the caller only wants a summary. */
export interface Examples {
  /** Where the labels came from, for messages. */
  where: Where;
  shape: InputShape;
  labels: Int32Array;
  pixels: Uint8Array | null;
  /** Which file's records the examples are, in order (see RecordPick). */
  parts: RecordPart[];
}

/** `count` examples that are the records first .. first + count - 1 of the file (or archive) `key`. */
interface RecordPart {
  key: string;
  first: number;
  count: number;
}

/** A file, or an archive's entry, as a RecordPart key. */
export function whereKey(where: Where): string {
  return where.entry === undefined ? where.file : `${where.file}\u0000${where.entry}`;
}

/**
 * Reading only some records (the samples route): readers skip every record of a file but those
 * `selection` names for its key, and hand each of those to `sink` (HWC bytes at `shape`), decoded
 * where they are images; nothing else is kept.
 */
export interface RecordPick {
  selection: Map<string, Set<number>>;
  sink: (key: string, record: number, pixels: Uint8Array, shape: InputShape) => void;
}

export interface AssembledData {
  format: DatasetFormat | 'synthetic';
  name: string;
  classNames: string[];
  train: Examples;
  test: Examples | null;
}

export function buildDataset(assembled: AssembledData, options: ResolvedDatasetOptions): LoadedDataset {
  checkAssembled(assembled);
  const data = reshapeAssembled(assembled, options);
  const inputShape = data.train.shape;
  const base = { name: data.name, format: data.format, inputShape, classNames: data.classNames };
  if (data.test) {
    return { ...base, testSplit: 'files', train: toSplit(data.train), test: toSplit(data.test) };
  }
  const { kept, heldOut } = holdOut(data, options);
  const all = toSplit(data.train);
  options.log('held out a stratified test split', {
    dataset: data.name,
    fraction: options.testFraction,
    seed: options.seed,
    testSize: heldOut.length,
  });
  return { ...base, testSplit: 'held_out', train: subsetSplit(all, kept), test: subsetSplit(all, heldOut) };
}

export function summarizeAssembled(assembled: AssembledData, options: ResolvedDatasetOptions): DatasetSummary {
  checkAssembled(assembled);
  const data = reshapeAssembled(assembled, options);
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

/**
 * Applies the imageSize and channels options to formats that do not read images one by one (IDX,
 * CIFAR, synthetic; image folders apply them while decoding): bilinear resize as image folders do,
 * grey replicated to 3 channels (for 3-channel pretrained weights), colour to grey by luma.
 */
function reshapeAssembled(data: AssembledData, options: ResolvedDatasetOptions): AssembledData {
  const target = targetShape(data.train.shape, options);
  if (target.join('x') === data.train.shape.join('x')) return data;
  options.log('reshaping images', { dataset: data.name, from: data.train.shape, to: target });
  return {
    ...data,
    train: reshapeExamples(data.train, target, options),
    test: data.test ? reshapeExamples(data.test, target, options) : null,
  };
}

function reshapeExamples(examples: Examples, target: InputShape, options: ResolvedDatasetOptions): Examples {
  if (!examples.pixels) return { ...examples, shape: target };
  const [height, width, channels] = examples.shape;
  const perImage = target[0] * target[1] * target[2];
  const count = examples.labels.length;
  if (count * perImage > options.limits.maxDecodedBytes) {
    throw tooLarge(
      examples.where,
      `${count} images of ${target.join('x')} need ${count * perImage} bytes of memory; choose a smaller imageSize`,
      {
        option: 'maxDecodedBytes',
        value: options.limits.maxDecodedBytes,
      },
    );
  }
  const pixels = new Uint8Array(count * perImage);
  const source = height * width * channels;
  for (let i = 0; i < count; i++) {
    reshapeImage(
      examples.pixels.subarray(i * source, (i + 1) * source),
      examples.shape,
      target,
      pixels.subarray(i * perImage, (i + 1) * perImage),
    );
  }
  return { ...examples, shape: target, pixels };
}

/** One HWC image of `shape` into `out` at `target`: channels converted, then resized bilinearly. */
export function reshapeImage(image: Uint8Array, shape: InputShape, target: InputShape, out: Uint8Array): void {
  const [height, width, channels] = shape;
  const converted = channels === target[2] ? image : convertChannels(image, height * width, channels, target[2]);
  resizeBilinear(converted, height, width, target[2], out, target[0], target[1]);
}

/** The input shape the read options give a dataset read at `shape`. */
export function targetShape(shape: InputShape, options: ResolvedDatasetOptions): InputShape {
  return [options.imageSize?.[0] ?? shape[0], options.imageSize?.[1] ?? shape[1], options.channels ?? shape[2]];
}

/**
 * The test split as positions in the assembled examples it comes from (the test files' examples, or
 * the held-out part of the training examples): what openDataset's `test` split holds, without pixels.
 */
export function testRecordsOf(assembled: AssembledData, options: ResolvedDatasetOptions): { examples: Examples; positions: number[] } {
  checkAssembled(assembled);
  if (assembled.test) return { examples: assembled.test, positions: Array.from(assembled.test.labels, (_, i) => i) };
  return { examples: assembled.train, positions: [...holdOut(assembled, options).heldOut] };
}

function convertChannels(image: Uint8Array, pixels: number, from: number, to: number): Uint8Array {
  if (from === 3 && to === 1) return toChannels(image, pixels, 3, 1);
  const out = new Uint8Array(pixels * to);
  for (let p = 0; p < pixels; p++) out.fill(image[p * from], p * to, (p + 1) * to);
  return out;
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
