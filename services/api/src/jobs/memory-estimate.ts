/**
 * Refuses, before queueing, a job whose training would need more memory than a worker has
 * (WORKER_MEMORY). The estimate is the CNN package's (estimateTrainingBytes, from each variant's
 * recorded facts, without tfjs), so it is known for every architecture from the first request on.
 */
import { estimateTrainingBytes } from '@trainyard/cnn/catalog';
import { ApiError, type ResolvedJobSpec } from '@trainyard/contracts';

export function checkMemory(spec: ResolvedJobSpec, inputShape: [number, number, number], workerMemoryBytes: number): void {
  const { batchSize, optimizer } = spec.hyperparameters;
  const needed = estimateTrainingBytes({ architecture: spec.model.architecture, inputShape, batchSize, optimizer });
  if (needed <= workerMemoryBytes) return;
  const mb = (bytes: number) => Math.round(bytes / 1024 ** 2);
  throw new ApiError(
    'model_too_large',
    `Training ${spec.model.architecture} on ${inputShape.join('x')} images with batch size ${batchSize} ` +
      `needs about ${mb(needed)} MB; a worker has ${mb(workerMemoryBytes)} MB (WORKER_MEMORY=${workerMemoryBytes} bytes). Choose a smaller batch size or model.`,
    { estimatedBytes: needed, limit: workerMemoryBytes, variable: 'WORKER_MEMORY' },
  );
}
