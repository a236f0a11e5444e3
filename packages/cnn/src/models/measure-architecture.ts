/**
 * Measures what only a built model can tell about a catalog architecture: its trainable parameters
 * and the number of activation values one example produces in training. architecture-facts.ts holds
 * the result for every variant at its native input (so the API and the memory estimate never load
 * tfjs); a test measures again and compares, and scripts/architecture-facts.mjs regenerates the table.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ArchitectureFacts } from './architecture-facts.js';
import { assembleModel, countTrainableParameters, disposeBuiltModel } from './build.js';
import { getArchitecture, getVariant, validateBuildOptions } from './catalog-info.js';

/** The sum of every layer's output size for one example (all outputs of multi-output layers). */
function activationsPerExample(model: tf.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const shapes = (Array.isArray((layer.outputShape as unknown[])[0]) ? layer.outputShape : [layer.outputShape]) as Array<
      Array<number | null>
    >;
    for (const shape of shapes) total += shape.slice(1).reduce<number>((product, dim) => product * (dim ?? 1), 1);
  }
  return total;
}

/** Builds `name` at its native input with its default classes, weights created as zeros, and measures it. */
export function measureArchitecture(name: string): ArchitectureFacts {
  const info = getArchitecture(name);
  const options = validateBuildOptions(name, { inputShape: info.nativeInputShape, classes: info.defaultClasses });
  const built = assembleModel(getVariant(name), options, true);
  try {
    return { parameters: countTrainableParameters(built.training), activationsPerExample: activationsPerExample(built.training) };
  } finally {
    disposeBuiltModel(built);
  }
}
