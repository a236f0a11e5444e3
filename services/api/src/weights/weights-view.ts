/** A weights row as the API shows it. */
import type { WeightsView } from '@trainyard/contracts';
import type { Weights } from '@trainyard/db';
import type { WeightsSummary } from './inspect-weights.js';

export function toWeightsView(weights: Weights): WeightsView {
  const summary = weights.summary as WeightsSummary;
  return {
    id: weights.id,
    name: weights.name,
    architecture: weights.architecture,
    format: summary.format,
    classes: summary.classes,
    auxLogits: summary.auxLogits,
    tensors: summary.tensors,
    parameters: summary.parameters,
    bytes: Number(weights.bytes),
    createdAt: weights.createdAt.toISOString(),
    links: { self: `/v1/weights/${weights.id}` },
  };
}
