/**
 * The model zoo: a catalog of named architectures (torchvision 0.14's definitions plus the CIFAR
 * layouts) and their builders. The tfjs-free part (catalog facts and request checks) is also
 * published alone as `@trainyard/cnn/catalog`.
 */
export {
  architectureNames,
  checkInputShape,
  getArchitecture,
  listArchitectures,
  minInputSize,
  validateBuildOptions,
  type ModelOption,
  type ResolvedOptions,
  type SizeOptions,
} from './catalog-info.js';
export { architectureFacts, type ArchitectureFacts, type SizeFacts } from './architecture-facts.js';
export {
  estimateModelSize,
  estimateTrainingBytes,
  estimateTrainingMemory,
  type ModelSize,
  type ModelSizeRequest,
  type SizeOptionSet,
  type TrainingMemoryEstimate,
  type TrainingMemoryRequest,
} from './memory-estimate.js';
export { measureArchitecture, measureModel } from './measure-architecture.js';
export {
  architectureParameterCount,
  buildModel,
  countTrainableParameters,
  disposeBuiltModel,
  INPUT_LAYER,
  PROBABILITIES_LAYER,
} from './build.js';
export { NORMALIZATION_LAYER } from './normalization.js';
