/**
 * Dataset readers: IDX (MNIST, Fashion-MNIST), CIFAR-10/100 binary batches, image folders in zip or
 * tar(.gz) archives, and a synthetic set. Free of TensorFlow.js (the API imports this through
 * `@trainyard/cnn/data` to validate uploads); see README.md in this folder.
 */
export { openDataset, inspectDataset, readSampleImages, type InspectOptions, type SampleImages } from './open-dataset.js';
export {
  openBuiltinDataset,
  describeBuiltinDataset,
  loadFashionMnist,
  loadMnist,
  fashionMnistDir,
  BUILTIN_DATASETS,
  DEFAULT_FASHION_MNIST_DIR,
  type BuiltinDatasetName,
  type BuiltinOptions,
} from './builtin.js';
export { syntheticDataset, describeSyntheticDataset, SYNTHETIC_DEFAULTS, type SyntheticOptions } from './synthetic.js';
export { InMemorySplit, subsetSplit } from './memory-split.js';
export { stratifiedSplit, countClasses, type StratifiedSplit } from './stratified-split.js';
export {
  DEFAULT_LIMITS,
  DEFAULT_TEST_FRACTION,
  DEFAULT_SPLIT_SEED,
  type DatasetOptions,
  type DatasetLimits,
  type ArchiveLimits,
  type DataLog,
} from './options.js';
export { FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES, CIFAR10_CLASS_NAMES, CIFAR100_DEFAULT_CLASS_NAMES } from './class-names.js';
export type { DatasetFile, DatasetFormat, DatasetSource, DatasetSummary, LoadedDataset, TestSplitOrigin } from './dataset-types.js';
export { resizeBilinear } from './image/pixels.js';
export { imageToInput, type ImageInputLimits } from './image/image-input.js';
