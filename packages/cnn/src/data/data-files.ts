/**
 * Datasets made of data files rather than images: IDX files (MNIST) or CIFAR binary batches, given as
 * separate files or found inside an archive. Each file is recognised, read as it streams, then the
 * collector assembles them into train and test examples.
 */
import type { AssembledData, RecordPick } from './assemble.js';
import type { Chunks } from './byte-stream.js';
import { readAll } from './byte-stream.js';
import {
  assembleCifar,
  cifarMetaKind,
  cifarVariantFromName,
  cifarVariantFromSize,
  parseClassNamesText,
  readCifarFile,
  type CifarFile,
  type CifarVariant,
} from './cifar.js';
import { datasetProblem, malformed, tooLarge, unsupported, type Where } from './dataset-errors.js';
import type { DatasetFormat } from './dataset-types.js';
import { assembleIdx, idxSizeMatches, looksLikeIdx, readIdxFile, type IdxFile } from './idx.js';
import type { ResolvedDatasetOptions } from './options.js';

export type DataFileRole = { type: 'idx' } | { type: 'cifar'; variant: CifarVariant } | { type: 'class-names' } | { type: 'ignored' };

const MAX_CLASS_NAMES_BYTES = 1024 * 1024;

/**
 * What a file is, from its inflated first bytes, its name and (when known) its inflated size; null
 * when it is none of the data files we read. With `format`, the file must be of that format.
 */
export function classifyDataFile(where: Where, head: Uint8Array, size: number | undefined, format?: DatasetFormat): DataFileRole | null {
  const name = where.entry ?? where.file;
  const meta = cifarMetaKind(name);
  switch (format) {
    case 'idx':
      if (!looksLikeIdx(head))
        throw malformed(where, 'is not an IDX file (its first bytes are not an IDX magic number such as 0x00000803)');
      return { type: 'idx' };
    case 'cifar10':
    case 'cifar100':
      if (meta) return { type: meta === 'names' ? 'class-names' : 'ignored' };
      return { type: 'cifar', variant: format };
    case 'imagefolder':
      throw unsupported(where, 'is not a zip or tar(.gz) archive; an image-folder dataset is one archive with a folder per class');
    case undefined:
      break; // no format given: recognise the file below
  }
  if (meta) return { type: meta === 'names' ? 'class-names' : 'ignored' };
  // A CIFAR record can start with bytes that look like an IDX magic number: official batch names
  // win, and an IDX header must account for the file's exact size when that is known.
  const named = cifarVariantFromName(name);
  if (named) return { type: 'cifar', variant: named };
  if (looksLikeIdx(head) && (size === undefined || idxSizeMatches(head, size))) return { type: 'idx' };
  const variant = (size !== undefined ? cifarVariantFromSize(size) : null) ?? (/\.bin$/i.test(name) ? 'cifar10' : null);
  if (variant) return { type: 'cifar', variant };
  return looksLikeIdx(head) ? { type: 'idx' } : null;
}

export class DataFileCollector {
  private readonly idx: IdxFile[] = [];
  private readonly cifar: CifarFile[] = [];
  private variant: CifarVariant | null = null;
  private classNames: { where: Where; names: string[] } | null = null;
  private decodedBytes = 0;

  constructor(
    private readonly options: ResolvedDatasetOptions,
    private readonly keepPixels: boolean,
    private readonly pick?: RecordPick,
  ) {}

  /** Reads one file; `chunks` are its inflated bytes, `knownSize` their count when known in advance. */
  async add(where: Where, role: DataFileRole, chunks: Chunks, knownSize?: number): Promise<void> {
    const limits = { maxDecodedBytes: this.options.limits.maxDecodedBytes - this.decodedBytes };
    switch (role.type) {
      case 'idx': {
        const file = await readIdxFile(chunks, where, this.keepPixels, limits, this.pick);
        this.decodedBytes += file.kind === 'images' ? file.count * (file.shape as number[]).reduce((a, b) => a * b, 1) : file.count;
        this.idx.push(file);
        break;
      }
      case 'cifar': {
        if (this.variant && this.variant !== role.variant) {
          throw datasetProblem(
            'dataset_malformed',
            `The files mix CIFAR-10 and CIFAR-100 batches ("${where.entry ?? where.file}" is ${role.variant}).`,
          );
        }
        this.variant = role.variant;
        const file = await readCifarFile(chunks, where, role.variant, this.keepPixels, knownSize, limits, this.pick);
        this.decodedBytes += file.labels.length * 3072;
        this.cifar.push(file);
        break;
      }
      case 'class-names': {
        if (this.classNames) {
          throw malformed(where, `names classes a second time (after "${this.classNames.where.entry ?? this.classNames.where.file}")`);
        }
        const bytes = await readAll(chunks, MAX_CLASS_NAMES_BYTES, () =>
          tooLarge(where, 'is too large for a class-names file', { option: 'class-names file bytes', value: MAX_CLASS_NAMES_BYTES }),
        );
        this.classNames = { where, names: parseClassNamesText(bytes.toString('utf8'), where) };
        break;
      }
      case 'ignored':
        break;
    }
  }

  finish(): AssembledData {
    if (this.idx.length > 0 && this.cifar.length > 0) {
      throw datasetProblem('dataset_unsupported', 'The files mix IDX files and CIFAR batches; a dataset is one or the other.');
    }
    if (this.idx.length > 0) return assembleIdx(this.idx, this.options.name ?? 'idx', this.options.classNames);
    if (this.cifar.length > 0 && this.variant) {
      const names = this.options.classNames ?? this.classNames?.names;
      return assembleCifar(this.cifar, this.variant, this.options.name ?? this.variant, names);
    }
    throw datasetProblem(
      'dataset_malformed',
      'No data files were found: expected IDX files (MNIST format), CIFAR-10/100 binary batches, or a zip/tar(.gz) archive of class folders.',
    );
  }
}
