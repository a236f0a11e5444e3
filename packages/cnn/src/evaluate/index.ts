export { evaluateModel, mainOutputModel } from './evaluate.js';
export type { EvaluateOptions } from './evaluate.js';
export { perClassMetrics } from './metrics.js';
