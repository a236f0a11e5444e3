/**
 * Refuses, before queueing, a job whose training would need more memory than a worker has
 * (WORKER_MEMORY). The estimate is the CNN package's (estimateTrainingMemory, from each variant's
 * recorded facts, without tfjs), so it is known for every architecture from the first request on, and
 * it follows the whole spec: the architecture and its size-changing options (smallInput, auxLogits),
 * the input shape, the dataset's classes, the batch size and optimizer, and the dataset the child
 * decodes into memory.
 */
import { estimateTrainingMemory } from '@trainyard/cnn/catalog';
import { ApiError, type ResolvedJobSpec } from '@trainyard/contracts';

export function checkMemory(
  spec: ResolvedJobSpec,
  inputShape: [number, number, number],
  classes: number,
  workerMemoryBytes: number,
  datasetExamples = 0,
): void {
  const { batchSize, optimizer } = spec.hyperparameters;
  const { smallInput, auxLogits } = spec.model.options ?? {};
  const estimate = estimateTrainingMemory({
    architecture: spec.model.architecture,
    options: { ...(smallInput !== undefined ? { smallInput } : {}), ...(auxLogits !== undefined ? { auxLogits } : {}) },
    inputShape,
    classes,
    batchSize,
    optimizer,
    datasetExamples,
  });
  if (estimate.bytes <= workerMemoryBytes) return;
  const mb = (bytes: number) => Math.round(bytes / 1024 ** 2);
  const options = smallInput ? ' with smallInput' : '';
  throw new ApiError(
    'model_too_large',
    `Training ${spec.model.architecture}${options} on ${inputShape.join('x')} images (${classes} classes) with batch size ${batchSize} ` +
      `needs about ${mb(estimate.bytes)} MB (${estimate.parameters} weights); a worker has ${mb(workerMemoryBytes)} MB ` +
      `(WORKER_MEMORY=${workerMemoryBytes} bytes). Choose a smaller batch size, input or model.`,
    {
      estimatedBytes: estimate.bytes,
      parameters: estimate.parameters,
      datasetBytes: estimate.datasetBytes,
      limit: workerMemoryBytes,
      variable: 'WORKER_MEMORY',
    },
  );
}
