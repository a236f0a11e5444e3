/**
 * Datasets a job can name instead of uploading one: Fashion-MNIST from the machine's copy (Debian's
 * dataset-fashion-mnist) and the generated synthetic set.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cnnEnv, readCnnEnv } from '../env.js';
import { CnnError } from '../errors.js';
import { FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES } from './class-names.js';
import type { DatasetSummary, LoadedDataset } from './dataset-types.js';
import { openDataset } from './open-dataset.js';
import { invalid, type DatasetOptions } from './options.js';
import { describeSyntheticDataset, SYNTHETIC_DEFAULTS, syntheticDataset, type SyntheticOptions } from './synthetic.js';

export const BUILTIN_DATASETS = ['fashion-mnist', 'synthetic'] as const;
export type BuiltinDatasetName = (typeof BUILTIN_DATASETS)[number];

export const DEFAULT_FASHION_MNIST_DIR = cnnEnv.fashionMnistDir.default;

/** The four files of MNIST and Fashion-MNIST, gzipped or not. */
const IDX_FILE_STEMS = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

export function fashionMnistDir(): string {
  return readCnnEnv().fashionMnistDir;
}

/** Fashion-MNIST (60,000 training and 10,000 test images of 28x28x1) from `dir`. */
export function loadFashionMnist(dir: string = fashionMnistDir(), options: DatasetOptions = {}): Promise<LoadedDataset> {
  return loadIdxDirectory(dir, 'fashion-mnist', { name: 'fashion-mnist', classNames: FASHION_MNIST_CLASS_NAMES, ...options });
}

/** MNIST from a directory holding its four files (not installed here: no Debian package). */
export function loadMnist(dir: string, options: DatasetOptions = {}): Promise<LoadedDataset> {
  return loadIdxDirectory(dir, 'mnist', { name: 'mnist', classNames: MNIST_CLASS_NAMES, ...options });
}

async function loadIdxDirectory(dir: string, dataset: string, options: DatasetOptions): Promise<LoadedDataset> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw unavailable(dataset, dir, `the directory cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const files = IDX_FILE_STEMS.map((stem) => {
    const name = names.find((n) => n === stem || n === `${stem}.gz`);
    if (!name) throw unavailable(dataset, dir, `${stem}(.gz) is missing`);
    return { name, path: join(dir, name) };
  });
  return openDataset({ files, format: 'idx' }, options);
}

function unavailable(dataset: string, dir: string, problem: string): CnnError {
  const hint =
    dataset === 'fashion-mnist'
      ? 'install it with "apt-get install dataset-fashion-mnist" or set FASHION_MNIST_DIR'
      : 'put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz there';
  return new CnnError('dataset_unavailable', `${dataset} is not available in ${dir}: ${problem}; ${hint}.`, { dataset, dir });
}

export interface BuiltinOptions extends SyntheticOptions {
  /** fashion-mnist: where its files are (default FASHION_MNIST_DIR, then /usr/share/datasets/fashion-mnist). */
  dir?: string;
  /** Resize the images to [height, width] (synthetic: generate them at that size). */
  imageSize?: [number, number];
  /** 1 or 3 channels: Fashion-MNIST's grey replicated to 3, for 3-channel pretrained weights. */
  channels?: 1 | 3;
}

/** The synthetic options with imageSize and channels folded into its inputShape. */
function syntheticWithShape(options: Omit<BuiltinOptions, 'dir'>): SyntheticOptions {
  const { imageSize, channels, ...synthetic } = options;
  if (imageSize === undefined && channels === undefined) return synthetic;
  const [height, width, depth] = synthetic.inputShape ?? SYNTHETIC_DEFAULTS.inputShape;
  return { ...synthetic, inputShape: [imageSize?.[0] ?? height, imageSize?.[1] ?? width, channels ?? depth] };
}

export async function openBuiltinDataset(name: BuiltinDatasetName, options: BuiltinOptions = {}): Promise<LoadedDataset> {
  const { dir, imageSize, channels, ...synthetic } = options;
  switch (name) {
    case 'fashion-mnist':
      if (Object.values(synthetic).some((v) => v !== undefined)) {
        throw invalid('options', 'only { dir, imageSize, channels } for fashion-mnist', Object.keys(synthetic));
      }
      return loadFashionMnist(dir, { ...(imageSize ? { imageSize } : {}), ...(channels ? { channels } : {}) });
    case 'synthetic':
      return syntheticDataset(syntheticWithShape({ ...synthetic, imageSize, channels }));
    default:
      throw invalid('builtin dataset', `one of ${BUILTIN_DATASETS.join(', ')}`, name);
  }
}

/**
 * The summary of a builtin dataset without reading it: fast enough to check a job request (input
 * shape, class count) before anything is queued. Fashion-MNIST's figures are those of its
 * published files, which the test suite checks against the installed copy.
 */
export function describeBuiltinDataset(name: BuiltinDatasetName, options: Omit<BuiltinOptions, 'dir'> = {}): DatasetSummary {
  switch (name) {
    case 'fashion-mnist':
      return {
        format: 'idx',
        name: 'fashion-mnist',
        inputShape: [options.imageSize?.[0] ?? 28, options.imageSize?.[1] ?? 28, options.channels ?? 1],
        classNames: [...FASHION_MNIST_CLASS_NAMES],
        classCounts: new Array(10).fill(6000),
        testClassCounts: new Array(10).fill(1000),
        trainSize: 60000,
        testSize: 10000,
        testSplit: 'files',
      };
    case 'synthetic':
      return describeSyntheticDataset(syntheticWithShape(options));
    default:
      throw invalid('builtin dataset', `one of ${BUILTIN_DATASETS.join(', ')}`, name);
  }
}
