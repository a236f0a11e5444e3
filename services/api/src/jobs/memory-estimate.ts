/**
 * Refuses, before queueing, a job whose training would need more memory than a worker has
 * (WORKER_MEMORY). The estimate, in float32 bytes:
 *   weights, their gradients and the optimizer's slots  parameters x (2 + slots)
 *   activations kept for the backward pass and their gradients
 *                                     2 x batch x activationsPerExample, scaled by the input area
 *   the input batch                   batch x height x width x channels
 * Parameters and activations come from building each architecture once at its native input
 * (parameter-counts.ts); until that is done, no job is refused on memory.
 */
import { ApiError, type ResolvedJobSpec } from '@trainyard/contracts';
import { architectureFactsIfKnown } from '../architectures/parameter-counts.js';

const BYTES_PER_VALUE = 4;
const OPTIMIZER_SLOTS: Record<string, number> = { sgd: 1, adam: 2, rmsprop: 2 };

export function estimateTrainingBytes(
  facts: { parameters: number; activationsPerExample: number; inputShape: [number, number, number] },
  spec: ResolvedJobSpec,
  inputShape: [number, number, number],
): number {
  const { batchSize, optimizer } = spec.hyperparameters;
  const [height, width, channels] = inputShape;
  const areaScale = (height * width) / (facts.inputShape[0] * facts.inputShape[1]);
  const weights = facts.parameters * (2 + (OPTIMIZER_SLOTS[optimizer] ?? 2));
  const activations = 2 * batchSize * facts.activationsPerExample * areaScale;
  const input = batchSize * height * width * channels;
  return Math.ceil((weights + activations + input) * BYTES_PER_VALUE);
}

export function checkMemory(spec: ResolvedJobSpec, inputShape: [number, number, number], workerMemoryBytes: number): void {
  const facts = architectureFactsIfKnown()?.get(spec.model.architecture);
  if (!facts) return;
  const needed = estimateTrainingBytes(facts, spec, inputShape);
  if (needed <= workerMemoryBytes) return;
  const mb = (bytes: number) => Math.round(bytes / 1024 ** 2);
  throw new ApiError(
    'model_too_large',
    `Training ${spec.model.architecture} on ${inputShape.join('x')} images with batch size ${spec.hyperparameters.batchSize} ` +
      `needs about ${mb(needed)} MB; a worker has ${mb(workerMemoryBytes)} MB (WORKER_MEMORY=${workerMemoryBytes} bytes). Choose a smaller batch size or model.`,
    { estimatedBytes: needed, limit: workerMemoryBytes, variable: 'WORKER_MEMORY' },
  );
}
