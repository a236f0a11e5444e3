/**
 * Reads a multipart weights upload: one `file` part, streamed to a private temporary file and counted
 * against UPLOAD_LIMIT and the storage quota, under the upload idle timeout (uploads/tenant-upload.ts),
 * and the fields `architecture` and `name` (before or after the file).
 */
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '@trainyard/contracts';
import { assertStorableText } from '../http/stored-text.js';
import { receiveMultipart, type UploadLimits } from '../uploads/tenant-upload.js';

export interface ReceivedWeights {
  path: string;
  /** The client's file name (the default name of the weights). */
  fileName: string;
  bytes: number;
  architecture: string;
  name?: string;
}

function invalid(message: string, path: string): ApiError {
  return new ApiError('validation_failed', message, [{ path, rule: 'multipart' }]);
}

export async function receiveWeightsUpload(request: FastifyRequest, dir: string, limits: UploadLimits): Promise<ReceivedWeights> {
  // Set by the part handler: declared wide, so that the compiler does not keep their first value.
  let file = null as { path: string; fileName: string; bytes: number } | null;
  let architecture = undefined as string | undefined;
  let name = undefined as string | undefined;
  await receiveMultipart(request, limits, 'weights', async (part, save) => {
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
      return;
    }
    if (field !== 'file') throw invalid(`Unknown file part "${field}"; expected one file part.`, `multipart.${field}`);
    if (file) throw invalid('Send one file part.', 'multipart.file');
    if (part.filename) assertStorableText(part.filename, 'multipart.file.filename');
    const path = join(dir, 'state_dict');
    file = { path, fileName: (part.filename || 'weights').slice(0, 200), bytes: await save(part, path) };
  });
  if (!file) throw invalid('No file: send the weights as a part named file.', 'multipart.file');
  if (architecture === undefined) throw invalid('The architecture field is required (for example resnet18).', 'multipart.architecture');
  if (file.bytes === 0) throw new ApiError('weights_malformed', 'The weights file is empty.');
  return { ...file, architecture, ...(name !== undefined ? { name } : {}) };
}
