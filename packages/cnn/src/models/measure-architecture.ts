/**
 * Measures what only a built model can tell about a catalog architecture: its trainable parameters
 * and the number of activation values one example produces in training, and how both grow with the
 * spec. architecture-facts.ts holds the result for every variant and every option that changes its
 * size (so the API and the memory estimate never load tfjs); a test measures again and compares, and
 * scripts/architecture-facts.mjs regenerates the table.
 *
 * Parameters are exactly linear in the classes (the last layers' outputs), the input channels (the
 * first convolution's inputs) and, for a classifier that reads its feature map unpooled (VGG and
 * AlexNet with smallInput, LeNet-5), the cells of that final map. Activations are linear in the
 * input's area, up to the rounding of each stride. Each coefficient is measured from builds that
 * differ in that one thing, at small inputs, with the weights created as zeros.
 */
import type * as tf from '@tensorflow/tfjs';
import type { InputShape } from '../types.js';
import type { ArchitectureFacts, SizeFacts } from './architecture-facts.js';
import { assembleModel, countTrainableParameters, disposeBuiltModel } from './build.js';
import { getVariant, minInputSize, validateBuildOptions } from './catalog-info.js';
import { finalCells, sizeOptionSets, type SizeOptionSet } from './memory-estimate.js';

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

export interface MeasuredModel {
  parameters: number;
  activationsPerExample: number;
}

/** Builds `name` with these options (weights created as zeros) and measures it. */
export function measureModel(name: string, options: SizeOptionSet & { inputShape: InputShape; classes: number }): MeasuredModel {
  const resolved = validateBuildOptions(name, options);
  const built = assembleModel(getVariant(name), resolved, true);
  try {
    return { parameters: countTrainableParameters(built.training), activationsPerExample: activationsPerExample(built.training) };
  } finally {
    disposeBuiltModel(built);
  }
}

const FEW_CLASSES = 10;
const MORE_CLASSES = 20;

function measureSize(name: string, options: SizeOptionSet): SizeFacts {
  // Two sizes well above the minimum and multiples of 32, so that the strides divide both alike.
  const small = Math.ceil(Math.max(64, 2 * minInputSize(name, options)) / 32) * 32;
  const large = 2 * small;
  const at = (side: number, channels: number, classes: number) =>
    measureModel(name, { ...options, inputShape: [side, side, channels], classes });
  const base = at(small, 3, FEW_CLASSES);
  const larger = at(large, 3, FEW_CLASSES);
  const moreClasses = at(small, 3, MORE_CLASSES);
  const gray = at(small, 1, FEW_CLASSES);
  const cellsSmall = finalCells(name, options, small, small);
  const cellsLarge = finalCells(name, options, large, large);
  const perClass = (moreClasses.parameters - base.parameters) / (MORE_CLASSES - FEW_CLASSES);
  const perInputChannel = (base.parameters - gray.parameters) / 2;
  const perFinalCell = cellsLarge === cellsSmall ? 0 : (larger.parameters - base.parameters) / (cellsLarge - cellsSmall);
  const activationsPerPixel = (larger.activationsPerExample - base.activationsPerExample) / (large * large - small * small);
  const activationsPerClass = (moreClasses.activationsPerExample - base.activationsPerExample) / (MORE_CLASSES - FEW_CLASSES);
  return {
    parameters: base.parameters - perClass * FEW_CLASSES - perInputChannel * 3 - perFinalCell * cellsSmall,
    perClass,
    perInputChannel,
    perFinalCell,
    activations: Math.round(base.activationsPerExample - activationsPerPixel * small * small - activationsPerClass * FEW_CLASSES),
    activationsPerPixel: Math.round(activationsPerPixel * 1000) / 1000,
    activationsPerClass,
  };
}

/** Every size-changing option set of `name`, measured (what architecture-facts.ts records). */
export function measureArchitecture(name: string): ArchitectureFacts {
  return Object.fromEntries(sizeOptionSets(name).map(({ key, options }) => [key, measureSize(name, options)]));
}
