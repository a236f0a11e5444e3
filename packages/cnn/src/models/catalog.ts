/**
 * The model catalog without tfjs, as `@trainyard/cnn/catalog` publishes it to the API (which must
 * never load tfjs, not even transitively): the architectures and their options, the checks a request
 * must pass before any model is built, each variant's recorded facts and the training-memory estimate.
 */
export * from './catalog-info.js';
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
