export { encodeCheckpoint, decodeCheckpoint, CHECKPOINT_VERSION } from './format.js';
export type { TrainingCheckpoint, SavedArray, PartialEpoch } from './format.js';
