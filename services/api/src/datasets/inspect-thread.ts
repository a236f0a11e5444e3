/**
 * Runs in a worker thread: validates an upload with the CNN package's readers and posts back the
 * summary or the error (code, message, details), so decoding thousands of images never blocks the
 * API's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { inspectDataset, type DatasetOptions, type DatasetSource } from '@trainyard/cnn/data';

const { source, options } = workerData as { source: DatasetSource; options: Pick<DatasetOptions, 'imageSize' | 'channels' | 'testFraction'> };
try {
  const summary = await inspectDataset(source, options);
  parentPort!.postMessage({ ok: true, summary });
} catch (error) {
  const e = error as { name?: string; code?: string; message?: string; details?: unknown };
  let details: unknown;
  try {
    details = structuredClone(e.details);
  } catch {
    details = undefined;
  }
  parentPort!.postMessage({ ok: false, error: { name: e.name, code: e.code, message: e.message ?? String(error), details } });
}
