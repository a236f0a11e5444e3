/**
 * Runs in a pooled worker thread, one task at a time: validates an upload with the CNN package's readers and posts back the
 * summary or the error (code, message, details), so decoding thousands of images never blocks the
 * API's event loop.
 */
import { threadFailure } from '../threads/inspection-thread.js';
import { serveTasks } from '../threads/serve-tasks.js';
import { inspectDataset, type DatasetOptions, type DatasetSource } from '@trainyard/cnn/data';

serveTasks(async (workerData) => {
  const { source, options } = workerData as {
    source: DatasetSource;
    options: Pick<DatasetOptions, 'imageSize' | 'channels' | 'testFraction' | 'limits'>;
  };
  try {
    return { ok: true, summary: await inspectDataset(source, options) };
  } catch (error) {
    return threadFailure(error);
  }
});
