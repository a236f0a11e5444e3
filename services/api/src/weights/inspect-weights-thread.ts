/**
 * Runs in a pooled worker thread, one task at a time: reads an uploaded weights file with the CNN package's restricted readers
 * (@trainyard/cnn/weights, free of tfjs: no pickle is ever executed) and checks every tensor against
 * the architecture, so that parsing hundreds of megabytes never blocks the API's event loop.
 */
import { readFile } from 'node:fs/promises';
import { inspectWeights } from '@trainyard/cnn/weights';
import { threadFailure } from '../threads/inspection-thread.js';
import { serveTasks } from '../threads/serve-tasks.js';

serveTasks(async (workerData) => {
  const { path, architecture } = workerData as { path: string; architecture: string };
  try {
    const inspection = inspectWeights(new Uint8Array(await readFile(path)), architecture);
    const { format, classes, auxLogits, tensors, parameters } = inspection;
    return { ok: true, summary: { format, classes, auxLogits, tensors, parameters } };
  } catch (error) {
    return threadFailure(error);
  }
});
