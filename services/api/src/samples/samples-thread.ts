/**
 * Runs in a worker thread: opens a dataset with the CNN package's readers (the same test split the
 * worker evaluates on) and posts back the first `perClass` test images of each class as 8-bit pixels.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openBuiltinDataset, openDataset, type BuiltinDatasetName, type DatasetFormat } from '@trainyard/cnn/data';
import type { SampleRequest, SampleSet } from './sample-types.js';

const request = workerData as SampleRequest;
try {
  const dataset =
    request.kind === 'builtin'
      ? await openBuiltinDataset(request.name as BuiltinDatasetName)
      : await openDataset(
          { files: request.files, format: (request.format ?? undefined) as DatasetFormat | undefined },
          { name: request.name, limits: request.limits },
        );
  const labels = dataset.test.labels();
  const taken = new Array<number>(dataset.classNames.length).fill(0);
  const indices: number[] = [];
  for (let i = 0; i < labels.length && indices.length < request.perClass * taken.length; i++) {
    const label = labels[i]!;
    if (taken[label]! < request.perClass) {
      taken[label]! += 1;
      indices.push(i);
    }
  }
  const batch = dataset.test.read(indices);
  const size = dataset.inputShape[0] * dataset.inputShape[1] * dataset.inputShape[2];
  const samples = indices.map((index, i) => {
    const pixels = Buffer.alloc(size);
    for (let p = 0; p < size; p++) pixels[p] = Math.round(Math.min(1, Math.max(0, batch.x[i * size + p]!)) * 255);
    return { index, label: batch.y[i]!, pixels: pixels.toString('base64') };
  });
  samples.sort((a, b) => a.label - b.label || a.index - b.index);
  const result: SampleSet = { split: 'test', inputShape: dataset.inputShape, classNames: dataset.classNames, samples };
  parentPort!.postMessage({ ok: true, result });
} catch (error) {
  const e = error as { code?: string; message?: string };
  parentPort!.postMessage({ ok: false, error: { code: e.code, message: e.message ?? String(error) } });
}
