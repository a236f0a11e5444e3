import type { TrainConfig } from '../types.js';

type ScheduleConfig = Pick<TrainConfig, 'learningRate' | 'schedule' | 'stepSize' | 'stepGamma' | 'warmupEpochs' | 'epochs'>;

/**
 * The learning rate of global step `step` (0-based, counted over the whole run).
 *
 * Per step rather than per epoch, like the reference script's CosineAnnealingLR(T_max = epochs * steps):
 * step 0 uses the full rate and the rate approaches 0 at the last step. Warm-up rises linearly over its
 * first steps (the first step already has a small non-zero rate), then the schedule runs over the rest.
 */
export function learningRateAt(config: ScheduleConfig, step: number, stepsPerEpoch: number): number {
  const base = config.learningRate;
  const warmupSteps = config.warmupEpochs * stepsPerEpoch;
  if (step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  switch (config.schedule) {
    case 'constant':
      return base;
    case 'step':
      return base * config.stepGamma ** Math.floor(Math.floor(step / stepsPerEpoch) / config.stepSize);
    case 'cosine': {
      const total = config.epochs * stepsPerEpoch - warmupSteps;
      return base * 0.5 * (1 + Math.cos((Math.PI * (step - warmupSteps)) / total));
    }
  }
}
