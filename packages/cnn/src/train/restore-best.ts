import type { EpochMetrics } from '../types.js';

/**
 * The epoch (1-based) with the lowest validation loss, the earliest on a tie; null when no epoch was
 * validated. restoreBestWeights exports this epoch's weights, and the worker keeps its checkpoint.
 */
export function bestEpoch(history: readonly Pick<EpochMetrics, 'epoch' | 'validationLoss'>[]): number | null {
  let best: Pick<EpochMetrics, 'epoch' | 'validationLoss'> | null = null;
  for (const metrics of history) {
    if (metrics.validationLoss === null || !Number.isFinite(metrics.validationLoss)) continue;
    if (best === null || metrics.validationLoss < best.validationLoss!) best = metrics;
  }
  return best?.epoch ?? null;
}
