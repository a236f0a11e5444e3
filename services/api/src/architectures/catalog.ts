/**
 * The one place the API touches the model catalog (@trainyard/cnn/catalog, free of tfjs). Its
 * CnnErrors (unknown_architecture, invalid_option, input_too_small) become API errors with the same
 * codes in http/errors.ts.
 */
import { listArchitectures, validateBuildOptions } from '@trainyard/cnn/catalog';
import type { ArchitectureInfo } from '@trainyard/cnn/types';
import type { ModelOptions } from '@trainyard/contracts';

export type { ArchitectureInfo };

/** Throws unless `architecture` with `options` can be built for images of `inputShape` and `classes` classes. */
export function checkModel(
  architecture: string,
  options: ModelOptions | undefined,
  inputShape: [number, number, number],
  classes: number,
): void {
  validateBuildOptions(architecture, { ...(options ?? {}), inputShape, classes });
}

export function architectures(): ArchitectureInfo[] {
  return listArchitectures();
}
