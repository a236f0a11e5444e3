/**
 * How much memory training a catalog architecture needs, estimated without building it (no tfjs), so
 * that the API can refuse a job no worker can hold before it is queued. In float32 values:
 *   weights, their gradients and the optimizer's slots   parameters x (2 + slots)
 *   activations kept for the backward pass and their gradients
 *                                                        2 x batch x activationsPerExample, scaled by the input area
 *   the input batch                                      batch x height x width x channels
 * Parameters and activations are the recorded facts of the variant at its native input.
 */
import type { InputShape, OptimizerName } from '../types.js';
import { architectureFacts } from './architecture-facts.js';
import { getVariant } from './catalog-info.js';

const BYTES_PER_VALUE = 4;

/** Values each optimizer keeps per weight: sgd its momentum, adam two moments, rmsprop its mean square and momentum. */
const OPTIMIZER_SLOTS: Readonly<Record<OptimizerName, number>> = { sgd: 1, adam: 2, rmsprop: 2 };

export interface TrainingMemoryRequest {
  architecture: string;
  inputShape: InputShape;
  batchSize: number;
  optimizer: OptimizerName;
}

/** Estimated bytes to train; throws CnnError('unknown_architecture') for a name not in the catalog. */
export function estimateTrainingBytes(request: TrainingMemoryRequest): number {
  const variant = getVariant(request.architecture);
  const facts = architectureFacts(variant.name);
  const [height, width, channels] = request.inputShape;
  const [nativeHeight, nativeWidth] = variant.nativeInputShape;
  const areaScale = (height * width) / (nativeHeight * nativeWidth);
  const weights = facts.parameters * (2 + OPTIMIZER_SLOTS[request.optimizer]);
  const activations = 2 * request.batchSize * facts.activationsPerExample * areaScale;
  const input = request.batchSize * height * width * channels;
  return Math.ceil((weights + activations + input) * BYTES_PER_VALUE);
}
