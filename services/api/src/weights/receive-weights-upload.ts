/**
 * Reads a multipart weights upload: one `file` part, streamed to a private temporary file and counted
 * against UPLOAD_LIMIT, and the fields `architecture` and `name` (before or after the file).
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import { ApiError } from '@trainyard/contracts';
import { assertStorableText } from '../http/stored-text.js';

export interface ReceivedWeights {
  path: string;
  /** The client's file name (the default name of the weights). */
  fileName: string;
  bytes: number;
  architecture: string;
  name?: string;
}

function tooLarge(limitBytes: number): ApiError {
  return new ApiError('upload_too_large', `The upload is larger than ${limitBytes} bytes (UPLOAD_LIMIT).`, {
    limit: limitBytes,
    variable: 'UPLOAD_LIMIT',
  });
}

/** Streams the file part to a new private file, counting its bytes against UPLOAD_LIMIT; returns its size. */
async function saveFilePart(part: MultipartFile, path: string, limitBytes: number): Promise<number> {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(bytes > limitBytes ? tooLarge(limitBytes) : null, chunk);
    },
  });
  try {
    await pipeline(part.file, counter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (error) {
    // The multipart plugin's own per-file limit is UPLOAD_LIMIT.
    if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(limitBytes);
    throw error;
  }
  if (part.file.truncated) throw tooLarge(limitBytes);
  return bytes;
}

function invalid(message: string, path: string): ApiError {
  return new ApiError('validation_failed', message, [{ path, rule: 'multipart' }]);
}

export async function receiveWeightsUpload(request: FastifyRequest, dir: string, limitBytes: number): Promise<ReceivedWeights> {
  if (!request.isMultipart()) throw new ApiError('unsupported_media_type', 'Upload weights as multipart/form-data.');
  let file: { path: string; fileName: string; bytes: number } | null = null;
  let architecture: string | undefined;
  let name: string | undefined;
  for await (const part of request.parts()) {
    const field = part.fieldname.slice(0, 50);
    if (part.type === 'field') {
      const value = typeof part.value === 'string' ? part.value : '';
      if (field === 'architecture') {
        if (value.length < 1 || value.length > 64)
          throw invalid('architecture must be 1 to 64 characters (a name from GET /v1/architectures).', 'multipart.architecture');
        architecture = value;
      } else if (field === 'name') {
        if (value.length < 1 || value.length > 200) throw invalid('name must be 1 to 200 characters.', 'multipart.name');
        assertStorableText(value, 'multipart.name');
        name = value;
      } else {
        throw invalid(`Unknown field "${field}"; expected architecture or name.`, `multipart.${field}`);
      }
      continue;
    }
    if (field !== 'file') throw invalid(`Unknown file part "${field}"; expected one file part.`, `multipart.${field}`);
    if (file) throw invalid('Send one file part.', 'multipart.file');
    if (part.filename) assertStorableText(part.filename, 'multipart.file.filename');
    const path = join(dir, 'state_dict');
    file = { path, fileName: (part.filename || 'weights').slice(0, 200), bytes: await saveFilePart(part, path, limitBytes) };
  }
  if (!file) throw invalid('No file: send the weights as a part named file.', 'multipart.file');
  if (architecture === undefined) throw invalid('The architecture field is required (for example resnet18).', 'multipart.architecture');
  if (file.bytes === 0) throw new ApiError('weights_malformed', 'The weights file is empty.');
  return { ...file, architecture, ...(name !== undefined ? { name } : {}) };
}
