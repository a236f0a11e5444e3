export { initEngine, currentEngine } from './init-engine.js';
export { ENGINE_CANDIDATES } from './candidates.js';
export type { EngineCandidate, LoadedEngine } from './candidates.js';
export type { EngineInfo, EngineLog, EngineName, InitEngineOptions } from './engine-info.js';
export { registerWasmTrainingKernels } from './wasm/register-training-kernels.js';
