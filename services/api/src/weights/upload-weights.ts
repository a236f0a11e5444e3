/**
 * POST /v1/weights. The file is received into a private temporary folder and inspected there (every
 * tensor against the architecture, no pickle run); only then is anything written: a row `uploading`,
 * the file to storage, the row `ready`. A refused file leaves nothing behind; a failure while storing
 * removes what was stored; a crash in between leaves an `uploading` row that the cleanup loop removes.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import type { WeightsView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import { weightsKeys } from '@trainyard/storage';
import type { ApiDeps } from '../context.js';
import { tenantLimitError } from '../http/tenant-limit-errors.js';
import { asTenantUpload } from '../uploads/tenant-upload.js';
import { inspectWeightsFile } from './inspect-weights.js';
import { receiveWeightsUpload } from './receive-weights-upload.js';
import { toWeightsView } from './weights-view.js';

export function uploadWeights(deps: ApiDeps, tenant: Tenant, request: FastifyRequest): Promise<WeightsView> {
  return asTenantUpload(deps, tenant.id, 'weights', async ({ dir, limits }) => {
    const upload = await receiveWeightsUpload(request, dir, limits);
    const summary = await inspectWeightsFile(upload.path, upload.architecture);
    const id = randomUUID();
    const key = weightsKeys(id).file;
    await deps.db.weights
      .createUploading(
        {
          id,
          tenantId: tenant.id,
          name: upload.name ?? upload.fileName,
          architecture: upload.architecture,
          storageKey: key,
          bytes: upload.bytes,
        },
        { quotaBytes: deps.config.tenantStorageQuotaBytes },
      )
      .catch((error: unknown) => Promise.reject(tenantLimitError(error)));
    try {
      await deps.storage.put(key, createReadStream(upload.path));
      return toWeightsView(await deps.db.weights.markReady(id, { format: summary.format, summary, bytes: upload.bytes }));
    } catch (error) {
      await removeWeights(deps, id, key);
      throw error;
    }
  });
}

/** Deletes a weights file, then its row; failures are logged (the cleanup loop retries). */
export async function removeWeights(deps: ApiDeps, id: string, key: string): Promise<void> {
  try {
    await deps.storage.delete(key);
    await deps.db.weights.delete(id);
  } catch (error) {
    deps.logger.error({ weightsId: id, err: error }, 'could not remove uploaded weights; the cleanup loop will retry');
  }
}
