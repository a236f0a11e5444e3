export { startWorker, type RunningWorker, type ResolvedWorkerConfig } from './worker.js';
export { WorkerEngineError } from './worker-engine.js';
export { readWorkerConfig, workerEnv, type WorkerConfig } from './config.js';
export { createLogger, type Logger } from './logger.js';
export type { ChildMessage, ParentMessage, StartMessage, DatasetSource } from './child-protocol.js';
