export { buildApi } from './app.js';
export { startApi, type StartApiOptions, type RunningApi } from './start.js';
export { readApiConfig, apiConfigVars, apiEnv, type ApiConfig } from './config.js';
export { createLogger } from './logger.js';
export { openApiQueue } from './queue-adapter.js';
export { enqueuePending } from './background/enqueue-pending.js';
export type { ApiDeps } from './context.js';
export type { ApiQueue } from './ports.js';
