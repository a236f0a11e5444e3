/**
 * The single entry point of the readers: recognise the format of the given files from their content
 * (or take the given format), read them, and return the in-memory Dataset or only its summary.
 */
import { stat } from 'node:fs/promises';
import { CnnError } from '../errors.js';
import { readArchiveDataset, type ReadMode } from './archive-dataset.js';
import { buildDataset, summarizeAssembled, type AssembledData } from './assemble.js';
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
  const collector = new DataFileCollector(options, mode.keepPixels);
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
