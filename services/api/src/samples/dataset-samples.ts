/**
 * Sample test images for the dashboard: a few per class from the test split the worker evaluates
 * on, read in a pooled background thread (off the event loop, at a lower CPU priority) that reads only the
 * records it shows. The browser shows them, and runs the trained model on them to show predicted
 * against true labels. Computed once per dataset: uploaded datasets keep the result in storage beside
 * their files, built-in ones in memory.
 */
import { rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { backgroundThreads } from '../threads/background-threads.js';
import { ApiError, isErrorCode } from '@trainyard/contracts';
import { datasetFiles, datasetReadOptions, type Dataset } from '@trainyard/db';
import { createScratchDir, datasetKeys } from '@trainyard/storage';
import type { ApiDeps } from '../context.js';
import type { SampleRequest, SampleSet } from './sample-types.js';

const SAMPLES_PER_CLASS = 4;
/** At most this many classes are sampled (CIFAR-100 would otherwise be 400 images). */
const MAX_CLASSES_SHOWN = 20;
/** The thread holds a dataset's labels and the few images shown (a built-in dataset whole, 55 MB). */
const THREAD_HEAP_MB = 512;

const builtinCache = new Map<string, Promise<SampleSet>>();

/**
 * Reading samples reads a dataset's labels and its shown records in a thread of the API process: at
 * most SAMPLE_READS_AT_ONCE run at a time (the rest wait their turn), and concurrent calls for one
 * dataset share one read, so a tenant calling the route in parallel costs one read, not one per call.
 */
const SAMPLE_READS_AT_ONCE = 1;
let readsRunning = 0;
const waitingReads: Array<() => void> = [];
const readsInFlight = new Map<string, Promise<SampleSet>>();

async function inPool<T>(read: () => Promise<T>): Promise<T> {
  if (readsRunning >= SAMPLE_READS_AT_ONCE) await new Promise<void>((resolve) => waitingReads.push(resolve));
  readsRunning += 1;
  try {
    return await read();
  } finally {
    readsRunning -= 1;
    waitingReads.shift()?.();
  }
}

async function sampleInThread(request: SampleRequest): Promise<SampleSet> {
  const script = new URL('./samples-thread.js', import.meta.url);
  const answer = (await backgroundThreads.run(script, THREAD_HEAP_MB, request)) as
    { ok: true; result: SampleSet } | { ok: false; error: { code?: string; message: string } };
  if (answer.ok) return answer.result;
  if (answer.error.code === 'dataset_unavailable' || answer.error.code === 'not_found') {
    throw new ApiError('dataset_unavailable', answer.error.message);
  }
  throw isErrorCode(answer.error.code) ? new ApiError(answer.error.code, answer.error.message) : new Error(answer.error.message);
}

export function builtinSamples(name: string): Promise<SampleSet> {
  let cached = builtinCache.get(name);
  if (!cached) {
    cached = inPool(() => sampleInThread({ kind: 'builtin', name, perClass: SAMPLES_PER_CLASS, maxClasses: MAX_CLASSES_SHOWN }));
    cached.catch(() => builtinCache.delete(name)); // a missing dataset may be installed later
    builtinCache.set(name, cached);
  }
  return cached;
}

export function uploadedSamples(deps: ApiDeps, dataset: Dataset): Promise<SampleSet> {
  let read = readsInFlight.get(dataset.id);
  if (!read) {
    read = readUploadedSamples(deps, dataset).finally(() => readsInFlight.delete(dataset.id));
    readsInFlight.set(dataset.id, read);
  }
  return read;
}

async function readUploadedSamples(deps: ApiDeps, dataset: Dataset): Promise<SampleSet> {
  const key = `${datasetKeys(dataset.id).root}samples.json`;
  if (await deps.storage.head(key)) return JSON.parse(Buffer.from(await deps.storage.getBytes(key)).toString('utf8')) as SampleSet;
  return inPool(() => sampleUploaded(deps, dataset, key));
}

async function sampleUploaded(deps: ApiDeps, dataset: Dataset, key: string): Promise<SampleSet> {
  // Another call may have written them while this one waited for its turn.
  if (await deps.storage.head(key)) return JSON.parse(Buffer.from(await deps.storage.getBytes(key)).toString('utf8')) as SampleSet;
  deps.logger.info({ datasetId: dataset.id }, 'reading sample images of a dataset');
  const folder = await createScratchDir(deps.config.uploadTmpDir ?? tmpdir(), `samples-${dataset.id}`);
  try {
    const files = [];
    for (const [index, file] of datasetFiles(dataset).entries()) {
      const path = join(folder, `${index}-${file.part}`); // our names: a client's file name never becomes a path
      await pipeline(await deps.storage.get(file.key), createWriteStream(path));
      files.push({ name: file.name, path });
    }
    const set = await sampleInThread({
      kind: 'files',
      name: dataset.name,
      format: dataset.format,
      files,
      perClass: SAMPLES_PER_CLASS,
      maxClasses: MAX_CLASSES_SHOWN,
      readOptions: datasetReadOptions(dataset),
      limits: { maxImagePixels: deps.config.maxImagePixels, maxArchivePixels: deps.config.maxArchivePixels },
    });
    await deps.storage.put(key, Buffer.from(JSON.stringify(set)), { contentType: 'application/json' });
    return set;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
