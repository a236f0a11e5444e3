export { exportModel, MODEL_JSON, MANIFEST_JSON } from './export-model.js';
export { loadExportedModel, readExportedArtifacts, readExportedWeights, readManifest } from './read-exported.js';
export { modelBundle } from './model-bundle.js';
export { exportCheckpoint, type CheckpointExportOptions, type ModelExportFormat } from './export-checkpoint.js';
