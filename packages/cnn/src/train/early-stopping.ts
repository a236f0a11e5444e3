import type { EpochMetrics, TrainConfig } from '../types.js';

/**
 * Keras's EarlyStopping rule on validation loss, recomputed from the history so that a resumed run
 * needs no extra state: an epoch improves when its loss is below the best so far minus minDelta;
 * training stops once `patience` epochs in a row have not improved.
 */
export function shouldStopEarly(history: EpochMetrics[], rule: TrainConfig['earlyStopping']): boolean {
  if (!rule) return false;
  let best = Infinity;
  let epochsWithoutImprovement = 0;
  for (const { validationLoss } of history) {
    if (validationLoss !== null && validationLoss < best - rule.minDelta) {
      best = validationLoss;
      epochsWithoutImprovement = 0;
    } else {
      epochsWithoutImprovement += 1;
    }
  }
  return epochsWithoutImprovement >= rule.patience;
}
