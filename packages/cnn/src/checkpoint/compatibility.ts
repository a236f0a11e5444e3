import { CnnError } from '../errors.js';
import type { InputShape, TrainConfig } from '../types.js';
import type { TrainingCheckpoint } from './format.js';

export interface RunIdentity {
  architecture: string;
  inputShape: InputShape;
  classes: number;
  config: TrainConfig;
}

/**
 * A checkpoint continues only the run it came from: same architecture, input, classes and every
 * hyperparameter (the schedule depends on epochs, the data order on the seed...).
 */
export function assertCheckpointMatches(checkpoint: TrainingCheckpoint, run: RunIdentity): void {
  const differences: string[] = [];
  if (checkpoint.architecture !== run.architecture) differences.push(`architecture ${checkpoint.architecture} vs ${run.architecture}`);
  if (canonical(checkpoint.inputShape) !== canonical(run.inputShape))
    differences.push(`input shape [${checkpoint.inputShape}] vs [${run.inputShape}]`);
  if (checkpoint.classes !== run.classes) differences.push(`${checkpoint.classes} vs ${run.classes} classes`);
  for (const key of Object.keys(run.config) as Array<keyof TrainConfig>) {
    if (canonical(checkpoint.config?.[key]) !== canonical(run.config[key])) {
      differences.push(`${key} ${canonical(checkpoint.config?.[key])} vs ${canonical(run.config[key])}`);
    }
  }
  if (differences.length > 0) {
    throw new CnnError('checkpoint_invalid', `The checkpoint belongs to a different run: ${differences.join('; ')}.`, { differences });
  }
}

/** JSON with sorted keys, so that key order never makes two equal values differ. */
function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
        : v,
    ) ?? 'undefined'
  );
}
