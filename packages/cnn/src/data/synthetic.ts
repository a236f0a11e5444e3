/**
 * A generated dataset for tests and for trying the service: each class is a smooth pattern (an
 * oriented grating whose angle depends on the class, plus two blobs at class-specific places); each
 * example is its class's pattern shifted by a few pixels, with random contrast, brightness and noise.
 * Classes differ at a scale a small CNN sees at once, so it learns them within an epoch or two, yet
 * no two examples are alike. The same seed gives the same bytes.
 */
import type { InputShape } from '../types.js';
import { buildDataset } from './assemble.js';
import type { DatasetSummary, LoadedDataset } from './dataset-types.js';
import { invalid, resolveDatasetOptions } from './options.js';
import { seededRandom, shuffleInPlace, type Random } from './random.js';
import { countClasses } from './stratified-split.js';

export interface SyntheticOptions {
  inputShape?: InputShape;
  classes?: number;
  trainSize?: number;
  testSize?: number;
  seed?: number;
  name?: string;
}

export const SYNTHETIC_DEFAULTS = {
  inputShape: [28, 28, 1] as InputShape,
  classes: 10,
  trainSize: 2000,
  testSize: 500,
  seed: 0,
  name: 'synthetic',
};

const MAX_SIDE = 512;
const MAX_CLASSES = 1000;
const MAX_EXAMPLES = 1_000_000;
const MAX_BYTES = 1024 ** 3;

type Resolved = Required<SyntheticOptions>;

export function syntheticDataset(options: SyntheticOptions = {}): LoadedDataset {
  const o = resolveSyntheticOptions(options);
  const prototypes = Array.from({ length: o.classes }, (_, c) => classPrototype(o, c));
  const train = generate(o, prototypes, o.trainSize, 'train');
  const test = generate(o, prototypes, o.testSize, 'test');
  const dataset = buildDataset(
    {
      format: 'synthetic',
      name: o.name,
      classNames: Array.from({ length: o.classes }, (_, c) => `class_${c}`),
      train: { where: { file: o.name }, shape: o.inputShape, parts: [], ...train },
      test: { where: { file: o.name }, shape: o.inputShape, parts: [], ...test },
    },
    resolveDatasetOptions(),
  );
  return dataset;
}

/** The summary of syntheticDataset(options), without generating it. */
export function describeSyntheticDataset(options: SyntheticOptions = {}): DatasetSummary {
  const o = resolveSyntheticOptions(options);
  return {
    format: 'synthetic',
    name: o.name,
    inputShape: o.inputShape,
    classNames: Array.from({ length: o.classes }, (_, c) => `class_${c}`),
    classCounts: countClasses(balancedLabels(o.trainSize, o.classes), o.classes),
    testClassCounts: countClasses(balancedLabels(o.testSize, o.classes), o.classes),
    trainSize: o.trainSize,
    testSize: o.testSize,
    testSplit: 'files',
  };
}

function resolveSyntheticOptions(options: SyntheticOptions): Resolved {
  if (options === null || typeof options !== 'object') throw invalid('synthetic options', 'an object', options);
  const known = Object.keys(SYNTHETIC_DEFAULTS);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw invalid(key, `a known synthetic option (${known.join(', ')})`, key);
  }
  const o = { ...SYNTHETIC_DEFAULTS, ...stripUndefined(options) } as Resolved;
  const shape = o.inputShape;
  const shapeOk =
    Array.isArray(shape) &&
    shape.length === 3 &&
    shape.every((v) => Number.isInteger(v)) &&
    shape[0] >= 4 &&
    shape[0] <= MAX_SIDE &&
    shape[1] >= 4 &&
    shape[1] <= MAX_SIDE &&
    shape[2] >= 1 &&
    shape[2] <= 4;
  if (!shapeOk) throw invalid('inputShape', `[height, width, channels] with sides from 4 to ${MAX_SIDE} and 1 to 4 channels`, shape);
  if (!Number.isInteger(o.classes) || o.classes < 2 || o.classes > MAX_CLASSES) {
    throw invalid('classes', `an integer from 2 to ${MAX_CLASSES}`, o.classes);
  }
  for (const key of ['trainSize', 'testSize'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < o.classes || o[key] > MAX_EXAMPLES) {
      throw invalid(key, `an integer from the number of classes (${o.classes}) to ${MAX_EXAMPLES}`, o[key]);
    }
  }
  if (!Number.isSafeInteger(o.seed)) throw invalid('seed', 'an integer', o.seed);
  if (typeof o.name !== 'string' || o.name.length === 0) throw invalid('name', 'a non-empty string', o.name);
  const bytes = (o.trainSize + o.testSize) * shape[0] * shape[1] * shape[2];
  if (bytes > MAX_BYTES) throw invalid('trainSize', `small enough that the images fit in ${MAX_BYTES} bytes`, o.trainSize);
  return { ...o, inputShape: [shape[0], shape[1], shape[2]] };
}

/** A class's noiseless pattern in [0, 1], HWC, from a generator seeded by the class alone. */
function classPrototype(o: Resolved, c: number): Float32Array {
  const [height, width, channels] = o.inputShape;
  const random = seededRandom(`synthetic-${o.seed}-class-${c}`);
  const side = Math.max(height, width);
  const angle = (Math.PI * c) / o.classes + 0.2 * (random.next() - 0.5) * (Math.PI / o.classes);
  const cycles = 1.5 + 1.5 * random.next();
  const phase = 2 * Math.PI * random.next();
  const blobs = Array.from({ length: 2 }, () => ({
    y: height * (0.2 + 0.6 * random.next()),
    x: width * (0.2 + 0.6 * random.next()),
  }));
  const sigma = side / 6;
  const tint = Array.from({ length: channels }, () => 0.4 + 0.6 * random.next());
  const pattern = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const along = (x * Math.cos(angle) + y * Math.sin(angle)) / side;
      const grating = 0.5 + 0.5 * Math.sin(2 * Math.PI * cycles * along + phase);
      let blob = 0;
      for (const b of blobs) blob += Math.exp(-((y - b.y) ** 2 + (x - b.x) ** 2) / (2 * sigma * sigma));
      const value = 0.5 * grating + 0.5 * Math.min(blob, 1);
      for (let k = 0; k < channels; k++) pattern[(y * width + x) * channels + k] = value * tint[k];
    }
  }
  return pattern;
}

function generate(o: Resolved, prototypes: Float32Array[], count: number, part: 'train' | 'test') {
  const [height, width, channels] = o.inputShape;
  const random = seededRandom(`synthetic-${o.seed}-${part}`);
  const labels = shuffleInPlace(balancedLabels(count, o.classes), random);
  const perImage = height * width * channels;
  const pixels = new Uint8Array(count * perImage);
  const maxShift = Math.max(1, Math.round(Math.max(height, width) / 14));
  for (let i = 0; i < count; i++) {
    drawExample(prototypes[labels[i]], o.inputShape, maxShift, random, pixels.subarray(i * perImage, (i + 1) * perImage));
  }
  return { labels, pixels };
}

function drawExample(pattern: Float32Array, shape: InputShape, maxShift: number, random: Random, out: Uint8Array): void {
  const [height, width, channels] = shape;
  const dy = random.int(2 * maxShift + 1) - maxShift;
  const dx = random.int(2 * maxShift + 1) - maxShift;
  const contrast = 0.8 + 0.4 * random.next();
  const brightness = 0.2 * (random.next() - 0.5);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(y - dy, 0), height - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max(x - dx, 0), width - 1);
      for (let k = 0; k < channels; k++) {
        const value = contrast * pattern[(sy * width + sx) * channels + k] + brightness + 0.1 * random.normal();
        out[(y * width + x) * channels + k] = Math.round(255 * Math.min(Math.max(value, 0), 1));
      }
    }
  }
}

/** count labels, as equal per class as possible (class c gets one more while c < count % classes). */
function balancedLabels(count: number, classes: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => i % classes);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
