/**
 * POST /v1/datasets. The files are received into a private temporary folder, validated there with the
 * CNN package's readers, and only then written: a row `uploading`, the files to storage, the row
 * `ready`. An invalid upload therefore leaves nothing in Postgres or storage; a failure while storing
 * removes what was stored; a crash in between leaves an `uploading` row that the cleanup loop
 * (background/clean-stale-uploads.ts) removes with its objects.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import type { DatasetView } from '@trainyard/contracts';
import { TenantLimitError, type DatasetFile, type Tenant } from '@trainyard/db';
import { datasetKeys } from '@trainyard/storage';
import type { ApiDeps } from '../context.js';
import { inspectUpload } from './inspect.js';
import { receiveUpload, safeFileName } from './receive-upload.js';
import { toDatasetView } from './dataset-view.js';
import { tenantLimitError } from '../http/tenant-limit-errors.js';
import { asTenantUpload, type UploadScratch } from '../uploads/tenant-upload.js';

export async function uploadDataset(deps: ApiDeps, tenant: Tenant, request: FastifyRequest): Promise<DatasetView> {
  const count = await deps.db.datasets.countForTenant(tenant.id);
  const limit = deps.config.maxDatasetsPerTenant;
  if (count >= limit) throw tenantLimitError(new TenantLimitError('datasets', count, limit));
  return asTenantUpload(deps, tenant.id, 'upload', (scratch) => receiveAndStore(deps, tenant, request, scratch));
}

async function receiveAndStore(deps: ApiDeps, tenant: Tenant, request: FastifyRequest, scratch: UploadScratch): Promise<DatasetView> {
  const { config } = deps;
  const upload = await receiveUpload(request, scratch.dir, scratch.limits);
  const summary = await inspectUpload(
    upload.files.map((file) => ({ name: file.name, path: file.path })),
    upload.format,
    upload.readOptions,
    { maxClasses: config.maxClasses, maxImagePixels: config.maxImagePixels, maxArchivePixels: config.maxArchivePixels },
  );
  const id = randomUUID();
  const keys = datasetKeys(id);
  const name = upload.name ?? upload.files[0]!.name;
  const bytes = upload.files.reduce((sum, file) => sum + file.bytes, 0);
  await deps.db.datasets
    .createUploading(
      { id, tenantId: tenant.id, name, storagePrefix: keys.root, bytes },
      { maxDatasets: config.maxDatasetsPerTenant, quotaBytes: config.tenantStorageQuotaBytes },
    )
    .catch((error: unknown) => Promise.reject(tenantLimitError(error)));
  try {
    const stored: DatasetFile[] = [];
    for (const [index, file] of upload.files.entries()) {
      const key = keys.file(safeFileName(index, file.name));
      await deps.storage.put(key, createReadStream(file.path));
      stored.push({ part: file.part, name: file.name, key, bytes: file.bytes });
    }
    const dataset = await deps.db.datasets.markReady(id, {
      format: summary.format,
      summary: { ...summary, readOptions: upload.readOptions },
      files: stored,
      bytes,
    });
    return toDatasetView(dataset);
  } catch (error) {
    await removeDataset(deps, id, keys.root);
    throw error;
  }
}

/** Deletes a dataset's objects, then its row; failures are logged (the cleanup loop retries). */
export async function removeDataset(deps: ApiDeps, id: string, prefix: string): Promise<void> {
  try {
    await deps.storage.deletePrefix(prefix);
    await deps.db.datasets.delete(id);
  } catch (error) {
    deps.logger.error({ datasetId: id, err: error }, 'could not remove a dataset; the cleanup loop will retry');
  }
}
