/**
 * Runs in a pooled worker thread, one task at a time: answers the first `perClass` test images of each shown class as 8-bit
 * pixels, from the same test split the worker evaluates on. An upload is read with
 * readSampleImages, which reads its labels, then only the chosen records (memory: the labels and those
 * images, whatever the dataset's size); a built-in dataset is small and opened whole, once per process.
 */
import { serveTasks } from '../threads/serve-tasks.js';
import { openBuiltinDataset, readSampleImages, type BuiltinDatasetName, type DatasetFormat } from '@trainyard/cnn/data';
import type { SampleRequest, SampleSet } from './sample-types.js';

async function builtinSamples(name: string, perClass: number, maxClasses: number): Promise<SampleSet> {
  const dataset = await openBuiltinDataset(name as BuiltinDatasetName);
  const labels = dataset.test.labels();
  const classes = Math.min(dataset.classNames.length, maxClasses);
  const taken = new Array<number>(classes).fill(0);
  const indices: number[] = [];
  for (let i = 0; i < labels.length && indices.length < perClass * classes; i++) {
    const label = labels[i]!;
    if (label < classes && taken[label]! < perClass) {
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
  return { split: 'test', inputShape: dataset.inputShape, classNames: dataset.classNames, samples };
}

serveTasks(async (workerData) => {
  const request = workerData as SampleRequest;
  try {
    let result: SampleSet;
    if (request.kind === 'builtin') result = await builtinSamples(request.name, request.perClass, request.maxClasses);
    else {
      const read = await readSampleImages(
        { files: request.files, format: (request.format ?? undefined) as DatasetFormat | undefined },
        { name: request.name, limits: request.limits, ...request.readOptions },
        { perClass: request.perClass, maxClasses: request.maxClasses },
      );
      const samples = read.images.map(({ index, label, pixels }) => ({ index, label, pixels: Buffer.from(pixels).toString('base64') }));
      result = { split: 'test', inputShape: read.inputShape, classNames: read.classNames, samples };
    }
    return { ok: true, result };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { ok: false, error: { code: e.code, message: e.message ?? String(error) } };
  }
});
