/**
 * Checks an uploaded weights file with the CNN package's readers (@trainyard/cnn/weights), in a worker
 * thread. Their CnnErrors (weights_unsafe, weights_malformed, weights_mismatch with details.tensors,
 * unknown_architecture, invalid_option) keep their codes in the API's answer.
 */
import { ApiError, type WeightsView } from '@trainyard/contracts';
import { runInspectionThread } from '../threads/inspection-thread.js';

/** What is stored on the row: everything the view shows that the file tells. */
export type WeightsSummary = Pick<WeightsView, 'format' | 'classes' | 'auxLogits' | 'tensors' | 'parameters'>;

/** Only tensor headers and shapes live on the heap; the file's bytes are an ArrayBuffer outside it. */
const THREAD_HEAP_MB = 512;

export function inspectWeightsFile(path: string, architecture: string): Promise<WeightsSummary> {
  return runInspectionThread<WeightsSummary>({
    script: new URL('./inspect-weights-thread.js', import.meta.url),
    workerData: { path, architecture },
    heapMb: THREAD_HEAP_MB,
    fallbackCode: 'weights_malformed',
    outOfMemory: () => new ApiError('weights_malformed', 'The weights file needs too much memory to be read.'),
    what: 'weights inspection',
  });
}
