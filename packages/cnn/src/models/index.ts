/**
 * The model zoo: a catalog of named architectures (torchvision 0.14's definitions plus the CIFAR
 * layouts) and their builders. The tfjs-free part (catalog facts, request checks and the memory
 * estimate) lives in catalog.ts, which is also published alone as `@trainyard/cnn/catalog`.
 */
export * from './catalog.js';
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
