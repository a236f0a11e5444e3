/**
 * Reads a multipart dataset upload into a private temporary folder, streaming each file part to disk
 * (never whole in memory) and counting bytes against UPLOAD_LIMIT. Parts: `images` and `labels` (an
 * IDX pair, possibly several pairs) or one or more `file` parts (CIFAR batches, an image-folder zip or
 * tar.gz); fields `format` and `name`, before or after the files.
 */
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { ApiError, DATASET_FORMATS, type DatasetFormat, type DatasetReadOptions } from '@trainyard/contracts';
import { assertStorableText } from '../http/stored-text.js';
import { receiveMultipart, type UploadLimits } from '../uploads/tenant-upload.js';

interface ReceivedFile {
  part: 'images' | 'labels' | 'file';
  name: string;
  path: string;
  bytes: number;
}

export interface ReceivedUpload {
  files: ReceivedFile[];
  format?: DatasetFormat;
  name?: string;
  /** imageSize, channels, testFraction fields: how the dataset is read, by its inspection and its jobs. */
  readOptions: DatasetReadOptions;
}

const FILE_PARTS = new Set(['images', 'labels', 'file']);

function invalid(message: string, path: string): ApiError {
  return new ApiError('validation_failed', message, [{ path, rule: 'multipart' }]);
}

/** A file name safe to use on disk and as a storage key segment (the original stays in `name`). */
export function safeFileName(index: number, original: string): string {
  const base = original.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 100);
  return `${String(index).padStart(3, '0')}-${cleaned || 'upload'}`;
}

export async function receiveUpload(request: FastifyRequest, dir: string, limits: UploadLimits): Promise<ReceivedUpload> {
  const upload: ReceivedUpload = { files: [], readOptions: {} };
  await receiveMultipart(request, limits, 'a dataset', async (part, save) => {
    if (part.type === 'field') {
      const value = typeof part.value === 'string' ? part.value : '';
      if (part.fieldname === 'format') {
        if (!(DATASET_FORMATS as readonly string[]).includes(value)) {
          throw invalid(`format must be one of ${DATASET_FORMATS.join(', ')}.`, 'multipart.format');
        }
        upload.format = value as DatasetFormat;
      } else if (part.fieldname === 'name') {
        if (value.length < 1 || value.length > 200) throw invalid('name must be 1 to 200 characters.', 'multipart.name');
        assertStorableText(value, 'multipart.name');
        upload.name = value;
      } else if (part.fieldname === 'imageSize' || part.fieldname === 'channels' || part.fieldname === 'testFraction') {
        Object.assign(upload.readOptions, readOption(part.fieldname, value));
      } else {
        throw invalid(
          `Unknown field "${part.fieldname.slice(0, 50)}"; expected format, name, imageSize, channels or testFraction.`,
          `multipart.${part.fieldname.slice(0, 50)}`,
        );
      }
      return;
    }
    if (!FILE_PARTS.has(part.fieldname)) {
      throw invalid(
        `Unknown file part "${part.fieldname.slice(0, 50)}"; expected images, labels or file.`,
        `multipart.${part.fieldname.slice(0, 50)}`,
      );
    }
    const index = upload.files.length;
    if (part.filename) assertStorableText(part.filename, `multipart.${part.fieldname}.filename`);
    const original = part.filename || `${part.fieldname}-${index}`;
    const path = join(dir, safeFileName(index, original));
    const bytes = await save(part, path);
    upload.files.push({ part: part.fieldname as ReceivedFile['part'], name: original.slice(0, 200), path, bytes });
  });
  checkParts(upload.files);
  return upload;
}

/** A read option as a multipart field: imageSize "64,64" (or "64x64", "[64,64]"), channels "1" or "3", testFraction "0.2". */
function readOption(field: 'imageSize' | 'channels' | 'testFraction', value: string): DatasetReadOptions {
  switch (field) {
    case 'imageSize': {
      const match = /^\[?\s*(\d{1,4})\s*[,x]\s*(\d{1,4})\s*\]?$/.exec(value);
      const size = match ? [Number(match[1]), Number(match[2])] : [];
      if (!match || size.some((side) => side < 1 || side > 4096)) {
        throw invalid('imageSize must be "height,width" with integers from 1 to 4096 (for example "64,64").', 'multipart.imageSize');
      }
      return { imageSize: [size[0]!, size[1]!] };
    }
    case 'channels':
      if (value !== '1' && value !== '3') throw invalid('channels must be 1 or 3.', 'multipart.channels');
      return { channels: Number(value) as 1 | 3 };
    case 'testFraction': {
      const fraction = /^\d*\.?\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!(fraction > 0 && fraction < 1))
        throw invalid('testFraction must be a number between 0 and 1 (exclusive).', 'multipart.testFraction');
      return { testFraction: fraction };
    }
  }
}

function checkParts(files: ReceivedFile[]): void {
  if (files.length === 0) throw invalid('No files: send parts images and labels, or one or more file parts.', 'multipart');
  const count = (part: ReceivedFile['part']) => files.filter((file) => file.part === part).length;
  const [images, labels, other] = [count('images'), count('labels'), count('file')];
  if (other > 0 && images + labels > 0) throw invalid('Send either images and labels parts, or file parts, not both.', 'multipart');
  if (other === 0 && images !== labels) {
    throw invalid(`An IDX upload needs as many images parts as labels parts (got ${images} and ${labels}).`, 'multipart');
  }
  const empty = files.find((file) => file.bytes === 0);
  if (empty) throw new ApiError('dataset_invalid', `The file ${empty.name} is empty.`, { file: empty.name });
}
