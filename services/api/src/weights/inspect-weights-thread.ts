/**
 * Runs in a worker thread: reads an uploaded weights file with the CNN package's restricted readers
 * (@trainyard/cnn/weights, free of tfjs: no pickle is ever executed) and checks every tensor against
 * the architecture, so that parsing hundreds of megabytes never blocks the API's event loop.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { inspectWeights } from '@trainyard/cnn/weights';
import { threadFailure } from '../threads/inspection-thread.js';

const { path, architecture } = workerData as { path: string; architecture: string };
try {
  const inspection = inspectWeights(new Uint8Array(await readFile(path)), architecture);
  const { format, classes, auxLogits, tensors, parameters } = inspection;
  parentPort!.postMessage({ ok: true, summary: { format, classes, auxLogits, tensors, parameters } });
} catch (error) {
  parentPort!.postMessage(threadFailure(error));
}
