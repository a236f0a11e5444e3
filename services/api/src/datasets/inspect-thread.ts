/**
 * Runs in a worker thread: validates an upload with the CNN package's readers and posts back the
 * summary or the error (code, message, details), so decoding thousands of images never blocks the
 * API's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { threadFailure } from '../threads/inspection-thread.js';
import { inspectDataset, type DatasetOptions, type DatasetSource } from '@trainyard/cnn/data';

const { source, options } = workerData as {
  source: DatasetSource;
  options: Pick<DatasetOptions, 'imageSize' | 'channels' | 'testFraction' | 'limits'>;
};
try {
  const summary = await inspectDataset(source, options);
  parentPort!.postMessage({ ok: true, summary });
} catch (error) {
  parentPort!.postMessage(threadFailure(error));
}
