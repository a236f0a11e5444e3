export { encodeCheckpoint, decodeCheckpoint, CHECKPOINT_VERSION } from './format.js';
export type { TrainingCheckpoint, SavedArray, PartialEpoch } from './format.js';
export { assertCheckpointMatches } from './compatibility.js';
export { readModelWeights, writeModelWeights } from './model-weights.js';
export type { RunIdentity } from './compatibility.js';
