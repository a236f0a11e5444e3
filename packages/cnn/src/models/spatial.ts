/**
 * Spatial-size arithmetic: which input sizes each variant can take. A variant's "plan" (written by its
 * family's descriptor, families/*.ts) lists, for its main path and each auxiliary head, the layers that
 * change the spatial size, with PyTorch's
 * kernel/stride/padding/ceil_mode semantics; the smallest input is the smallest size for which every
 * such layer still produces at least one output row and column (the condition under which PyTorch
 * raises "Output size is too small"). Layers that keep the size (stride 1, "same" padding) accept any
 * input and are left out. Adaptive average pooling accepts any non-empty input.
 *
 * The builders use the same configurations, and a test builds every variant at its minimum and one
 * below it (where the layers themselves must fail) to keep the two in step.
 */
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

export const conv = (kernel: number, stride = 1, padding = 0): SpatialOp => ({ kernel, stride, padding });
export const pool = (kernel: number, stride: number, padding = 0): SpatialOp => ({ kernel, stride, padding });
export const ceilPool = (kernel: number, stride: number): SpatialOp => ({ kernel, stride, padding: 0, ceilMode: true });
