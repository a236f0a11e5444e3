/**
 * PyTorch weights without tfjs (published as `@trainyard/cnn/weights`, safe to load in the API):
 * reading state_dicts from torch.save files (zip and legacy) and safetensors without running any
 * pickle, checking them against torchvision's layout of an architecture, writing safetensors.
 * Loading weights into a model and exporting one (applyStateDict, exportSafetensors) need tfjs and
 * are exported from the package's main entry.
 */
export { compareStateDict, type StateDictComparison } from './compare-state-dict.js';
export { inspectStateDict, inspectWeights, type WeightsInspection } from './inspect-weights.js';
export { canonicalNames, readStateDict, sniffWeightsFormat, type ReadWeights } from './read-state-dict.js';
export { readSafetensors, writeSafetensors, type Safetensors, type TensorToWrite } from './safetensors.js';
export type { ReadStateDict, StateDict, StateDictDtype, StateDictTensor, WeightsFormat } from './state-dict.js';
export {
  checkPretrainedOptions,
  pretrainedArchitectures,
  torchvisionStateDict,
  type ExpectedTensor,
  type StateDictLayout,
  type TensorRole,
} from './torchvision-state-dict.js';
export type { TensorMismatch } from './weights-errors.js';
