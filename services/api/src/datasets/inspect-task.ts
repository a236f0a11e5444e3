/**
 * Runs in a pooled background process, one task at a time: validates an upload with the CNN package's readers and posts back the
 * summary or the error (code, message, details), so decoding thousands of images never blocks the
 * API's event loop.
 */
import { taskFailure } from '../offload/inspection-task.js';
import { serveTasks } from '../offload/serve-tasks.js';
import { inspectDataset, type DatasetOptions, type DatasetSource } from '@trainyard/cnn/data';

serveTasks(async (workerData) => {
  const { source, options } = workerData as {
    source: DatasetSource;
    options: Pick<DatasetOptions, 'imageSize' | 'channels' | 'testFraction' | 'limits'>;
  };
  try {
    return { ok: true, summary: await inspectDataset(source, options) };
  } catch (error) {
    return taskFailure(error);
  }
});
