/**
 * Spatial-size arithmetic: which input sizes each variant can take. A variant's "plan" lists, for
 * its main path and each auxiliary head, the layers that change the spatial size, with PyTorch's
 * kernel/stride/padding/ceil_mode semantics; the smallest input is the smallest size for which every
 * such layer still produces at least one output row and column (the condition under which PyTorch
 * raises "Output size is too small"). Layers that keep the size (stride 1, "same" padding) accept any
 * input and are left out. Adaptive average pooling accepts any non-empty input.
 *
 * The builders use the same configurations, and a test builds every variant at its minimum and one
 * below it (where the layers themselves must fail) to keep the two in step.
 */
import type { FamilyConfig } from './variants.js';

export interface SpatialOp {
  kernel: number;
  stride: number;
  padding: number;
  /** PyTorch's ceil_mode for pooling (GoogLeNet's max pools). */
  ceilMode?: boolean;
}

/** Every path from the input to an output (main first, then auxiliary heads). */
export type SpatialPlan = SpatialOp[][];

/** Output length of one layer along one axis, exactly as PyTorch computes it. */
export function outputLength(op: SpatialOp, length: number): number {
  const span = length + 2 * op.padding - op.kernel;
  if (!op.ceilMode) return Math.floor(span / op.stride) + 1;
  let out = Math.ceil(span / op.stride) + 1;
  // PyTorch: the last pooling window must start inside the input or the left padding.
  if ((out - 1) * op.stride >= length + op.padding) out -= 1;
  return out;
}

/** The length a path produces, or 0 as soon as one of its layers has no valid output. */
export function pathOutputLength(path: SpatialOp[], length: number): number {
  let current = length;
  for (const op of path) {
    current = outputLength(op, current);
    if (current < 1) return 0;
  }
  return current;
}

/** Sizes are searched up to this bound; every variant here accepts something far smaller. */
const LARGEST_SEARCHED = 4096;

export function smallestInput(plan: SpatialPlan): number {
  for (let size = 1; size <= LARGEST_SEARCHED; size++) {
    if (plan.every((path) => pathOutputLength(path, size) >= 1)) return size;
  }
  throw new Error(`no input up to ${LARGEST_SEARCHED} fits this architecture`);
}

export interface PlanOptions {
  auxLogits: boolean;
  smallInput: boolean;
}

const conv = (kernel: number, stride = 1, padding = 0): SpatialOp => ({ kernel, stride, padding });
const pool = (kernel: number, stride: number, padding = 0): SpatialOp => ({ kernel, stride, padding });
const ceilPool = (kernel: number, stride: number): SpatialOp => ({ kernel, stride, padding: 0, ceilMode: true });

export function spatialPlan(config: FamilyConfig, options: PlanOptions): SpatialPlan {
  switch (config.family) {
    case 'lenet':
      return [[conv(5), pool(2, 2), conv(5), pool(2, 2)]];
    case 'alexnet':
      return [[conv(11, 4, 2), pool(3, 2), pool(3, 2), pool(3, 2)]];
    case 'vgg':
      return [config.layers.filter((layer) => layer === 'M').map(() => pool(2, 2))];
    case 'googlenet': {
      // Both auxiliary heads start with adaptive average pooling, so they add no constraint.
      return [[conv(7, 2, 3), ceilPool(3, 2), ceilPool(3, 2), ceilPool(3, 2), ceilPool(2, 2)]];
    }
    case 'inception': {
      const toMixed6 = [conv(3, 2), conv(3), pool(3, 2), conv(3), pool(3, 2), conv(3, 2)];
      const main = [...toMixed6, conv(3, 2)];
      // AuxLogits: 5x5 average pooling with stride 3, then a valid 5x5 convolution.
      const aux = [...toMixed6, pool(5, 3), conv(5)];
      return options.auxLogits ? [main, aux] : [main];
    }
    case 'resnet': {
      const stem = config.layout === 'cifar' || options.smallInput ? [conv(3, 1, 1)] : [conv(7, 2, 3), pool(3, 2, 1)];
      // Every stage after the first halves the size with a strided 3x3 convolution (its 1x1 stride-2
      // projection shortcut gives the same length).
      const downsampling = config.blocksPerStage.slice(1).map(() => conv(3, 2, 1));
      return [[...stem, ...downsampling]];
    }
    case 'densenet': {
      const stem = config.layout === 'cifar' || options.smallInput ? [conv(3, 1, 1)] : [conv(7, 2, 3), pool(3, 2, 1)];
      // A transition (2x2 average pooling, stride 2) follows every dense block but the last.
      const transitions = config.blocksPerStage.slice(1).map(() => pool(2, 2));
      return [[...stem, ...transitions]];
    }
  }
}
