/**
 * Refuses, before queueing, a job whose training would need more memory than a worker has
 * (WORKER_MEMORY). The estimate is the CNN package's (estimateTrainingBytes, from each variant's
 * recorded facts, without tfjs), so it is known for every architecture from the first request on,
 * plus the dataset the child decodes into memory (float32 values of every example at the job's input
 * shape).
 */
import { estimateTrainingBytes } from '@trainyard/cnn/catalog';
import { ApiError, type ResolvedJobSpec } from '@trainyard/contracts';

export function checkMemory(
  spec: ResolvedJobSpec,
  inputShape: [number, number, number],
  workerMemoryBytes: number,
  datasetExamples = 0,
): void {
  const { batchSize, optimizer } = spec.hyperparameters;
  const datasetBytes = datasetExamples * inputShape[0] * inputShape[1] * inputShape[2] * 4;
  const needed = estimateTrainingBytes({ architecture: spec.model.architecture, inputShape, batchSize, optimizer }) + datasetBytes;
  if (needed <= workerMemoryBytes) return;
  const mb = (bytes: number) => Math.round(bytes / 1024 ** 2);
  throw new ApiError(
    'model_too_large',
    `Training ${spec.model.architecture} on ${inputShape.join('x')} images with batch size ${batchSize} ` +
      `needs about ${mb(needed)} MB; a worker has ${mb(workerMemoryBytes)} MB (WORKER_MEMORY=${workerMemoryBytes} bytes). Choose a smaller batch size or model.`,
    { estimatedBytes: needed, datasetBytes, limit: workerMemoryBytes, variable: 'WORKER_MEMORY' },
  );
}
