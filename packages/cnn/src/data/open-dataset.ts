/**
 * The single entry point of the readers: recognise the format of the given files from their content
 * (or take the given format), read them, and return the in-memory Dataset or only its summary.
 */
import { stat } from 'node:fs/promises';
import { CnnError } from '../errors.js';
import type { InputShape } from '../types.js';
import { readArchiveDataset, type ReadMode } from './archive-dataset.js';
import {
  buildDataset,
  reshapeImage,
  summarizeAssembled,
  targetShape,
  testRecordsOf,
  type AssembledData,
  type RecordPick,
} from './assemble.js';
import { fileChunks, gunzipIfGzip } from './byte-stream.js';
import { classifyDataFile, DataFileCollector } from './data-files.js';
import { datasetProblem, unsupported } from './dataset-errors.js';
import type { DatasetFile, DatasetFormat, DatasetSource, DatasetSummary, LoadedDataset } from './dataset-types.js';
import { invalid, resolveDatasetOptions, type DatasetOptions, type ResolvedDatasetOptions } from './options.js';
import { archiveKindOf, isLoneImage, sniffFile, type Sniffed } from './sniff.js';

const FORMATS: DatasetFormat[] = ['idx', 'cifar10', 'cifar100', 'imagefolder'];
const MAX_FILES = 64;

/** Reads a dataset into memory. Every problem is a CnnError naming the file (and archive entry). */
export async function openDataset(source: DatasetSource, options: DatasetOptions = {}): Promise<LoadedDataset> {
  const resolved = resolveDatasetOptions(options);
  const data = await readSource(source, resolved, { keepPixels: true, decode: true });
  return buildDataset(data, resolved);
}

export interface InspectOptions extends DatasetOptions {
  /**
   * Decode every image of an image folder to prove it is valid (default true). False checks only
   * each image's header: much faster, but a corrupt image body is found only when training.
   */
  decodeImages?: boolean;
}

/**
 * Validates a dataset as openDataset does and summarises it, without keeping its pixels in memory:
 * what the API calls on an upload.
 */
export async function inspectDataset(source: DatasetSource, options: InspectOptions = {}): Promise<DatasetSummary> {
  const { decodeImages = true, ...rest } = options;
  if (typeof decodeImages !== 'boolean') throw invalid('decodeImages', 'true or false', decodeImages);
  const resolved = resolveDatasetOptions(rest);
  const data = await readSource(source, resolved, { keepPixels: false, decode: decodeImages });
  return summarizeAssembled(data, resolved);
}

/** A few test images of a dataset, as 8-bit HWC pixels at its input shape (the read options applied). */
export interface SampleImages {
  inputShape: InputShape;
  classNames: string[];
  /** By class, then by position in the test split. */
  images: Array<{ index: number; label: number; pixels: Uint8Array }>;
}

/**
 * The first `perClass` images of each class below `maxClasses` in the test split openDataset would
 * hold out or read, reading only those records: a first pass reads the labels alone (no pixel kept,
 * no image decoded), a second reads and decodes just the chosen records. Memory is the labels and the
 * chosen images, whatever the dataset's size; the same checks as openDataset apply.
 */
export async function readSampleImages(
  source: DatasetSource,
  options: DatasetOptions,
  choose: { perClass: number; maxClasses: number },
): Promise<SampleImages> {
  const resolved = resolveDatasetOptions(options);
  const labelled = await readSource(source, resolved, { keepPixels: false, decode: false });
  const { examples, positions } = testRecordsOf(labelled, resolved);
  const classes = Math.min(labelled.classNames.length, choose.maxClasses);
  const taken = new Array<number>(classes).fill(0);
  const chosen: Array<{ index: number; label: number; key: string; record: number }> = [];
  for (let index = 0; index < positions.length && chosen.length < choose.perClass * classes; index++) {
    const position = positions[index];
    const label = examples.labels[position];
    if (label >= classes || taken[label] >= choose.perClass) continue;
    taken[label]++;
    let first = 0;
    const part = examples.parts.find((p) => position < (first += p.count))!;
    chosen.push({ index, label, key: part.key, record: part.first + position - (first - part.count) });
  }
  const target = targetShape(examples.shape, resolved);
  const size = target[0] * target[1] * target[2];
  const pixelsOf = new Map<string, Uint8Array>();
  const selection = new Map<string, Set<number>>();
  for (const { key, record } of chosen) selection.set(key, (selection.get(key) ?? new Set()).add(record));
  const pick: RecordPick = {
    selection,
    sink: (key, record, pixels, shape) => {
      const out = new Uint8Array(size);
      reshapeImage(pixels, shape, target, out);
      pixelsOf.set(`${key}\u0001${record}`, out);
    },
  };
  await readSource(source, resolved, { keepPixels: false, decode: true, pick });
  const images = chosen.map(({ index, label, key, record }) => {
    const pixels = pixelsOf.get(`${key}\u0001${record}`);
    if (!pixels) throw new Error(`record ${record} of ${key} was chosen but not read`);
    return { index, label, pixels };
  });
  images.sort((a, b) => a.label - b.label || a.index - b.index);
  return { inputShape: target, classNames: labelled.classNames, images };
}

async function readSource(source: DatasetSource, options: ResolvedDatasetOptions, mode: ReadMode): Promise<AssembledData> {
  const files = checkSource(source);
  const sniffed: Sniffed[] = [];
  const sizes: number[] = [];
  for (const file of files) {
    sizes.push(await fileSize(file));
    sniffed.push(await sniffFile(file.path, { file: file.name }));
  }
  const archiveAt = sniffed.findIndex((s) => archiveKindOf(s) !== null);
  if (archiveAt >= 0) {
    if (files.length > 1) {
      throw datasetProblem(
        'dataset_unsupported',
        `"${files[archiveAt].name}" is an archive; an archive must be the only file of a dataset (got ${files.length} files).`,
      );
    }
    return readArchiveDataset(files[0], archiveKindOf(sniffed[0])!, source.format, options, mode);
  }
  const collector = new DataFileCollector(options, mode.keepPixels, mode.pick);
  for (let i = 0; i < files.length; i++) {
    const where = { file: files[i].name };
    if (isLoneImage(sniffed[i])) {
      throw unsupported(where, 'is a single image; an image dataset is a zip or tar(.gz) archive with one folder of images per class');
    }
    const knownSize = sniffed[i].gzipped ? undefined : sizes[i];
    const role = classifyDataFile(where, sniffed[i].head, knownSize, source.format);
    if (!role) {
      throw unsupported(
        where,
        'is not a dataset file this service reads: expected IDX files (MNIST format), CIFAR-10/100 binary batches, ' +
          'or a zip or tar(.gz) archive with one folder of PNG/JPEG images per class',
      );
    }
    await collector.add(where, role, gunzipIfGzip(fileChunks(files[i].path), where), knownSize);
  }
  return collector.finish();
}

function checkSource(source: DatasetSource): DatasetFile[] {
  if (source === null || typeof source !== 'object' || !Array.isArray(source.files)) {
    throw invalid('source', 'an object with a "files" array', source);
  }
  if (source.format !== undefined && !FORMATS.includes(source.format)) {
    throw invalid('format', `one of ${FORMATS.join(', ')}`, source.format);
  }
  const { files } = source;
  if (files.length === 0) throw invalid('files', 'a non-empty array', files);
  if (files.length > MAX_FILES) throw invalid('files', `at most ${MAX_FILES} files`, files.length);
  for (const file of files) {
    const ok = file && typeof file.name === 'string' && file.name.length > 0 && typeof file.path === 'string' && file.path.length > 0;
    if (!ok) throw invalid('files[]', 'objects { name, path } with non-empty strings', file);
  }
  return files;
}

async function fileSize(file: DatasetFile): Promise<number> {
  try {
    const info = await stat(file.path);
    if (!info.isFile()) throw new Error('not a regular file');
    return info.size;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CnnError('invalid_option', `Dataset file "${file.name}" cannot be read (${reason}).`, { file: file.name });
  }
}
