/**
 * POST /v1/datasets. The files are received into a private temporary folder, validated there with the
 * CNN package's readers, and only then written: a row `uploading`, the files to storage, the row
 * `ready`. An invalid upload therefore leaves nothing in Postgres or storage; a failure while storing
 * removes what was stored; a crash in between leaves an `uploading` row that the cleanup loop
 * (background/clean-stale-uploads.ts) removes with its objects.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { FastifyRequest } from 'fastify';
import { ApiError, type DatasetView } from '@trainyard/contracts';
import { TenantLimitError, type DatasetFile, type Tenant } from '@trainyard/db';
import { createScratchDir, datasetKeys } from '@trainyard/storage';
import type { ApiDeps } from '../context.js';
import { inspectUpload } from './inspect.js';
import { receiveUpload, safeFileName } from './receive-upload.js';
import { toDatasetView } from './dataset-view.js';
import { TenantSlots } from '../tenant-slots.js';
import { checkStorageQuota, storageQuotaError, tenantLimitError } from '../http/tenant-limit-errors.js';

/** Uploads in progress per tenant in this process (MAX_CONCURRENT_UPLOADS_PER_TENANT), per API. */
const uploadSlots = new WeakMap<ApiDeps['config'], TenantSlots>();

export async function uploadDataset(deps: ApiDeps, tenant: Tenant, request: FastifyRequest): Promise<DatasetView> {
  const { config } = deps;
  const count = await deps.db.datasets.countForTenant(tenant.id);
  const limit = config.maxDatasetsPerTenant;
  if (count >= limit) throw tenantLimitError(new TenantLimitError('datasets', count, limit));
  const free = await checkStorageQuota(deps, tenant.id);
  let slots = uploadSlots.get(config);
  if (!slots) uploadSlots.set(config, (slots = new TenantSlots(config.maxConcurrentUploadsPerTenant)));
  const release = slots.take(tenant.id);
  if (!release) {
    throw new ApiError(
      'concurrent_uploads_limit',
      `The tenant already sends ${slots.limit} uploads; the limit is ${slots.limit} (MAX_CONCURRENT_UPLOADS_PER_TENANT). Retry when one has finished.`,
      { limit: slots.limit, variable: 'MAX_CONCURRENT_UPLOADS_PER_TENANT', retryAfterSeconds: 5 },
    );
  }
  try {
    return await receiveAndStore(deps, tenant, request, free);
  } finally {
    release();
  }
}

async function receiveAndStore(deps: ApiDeps, tenant: Tenant, request: FastifyRequest, freeBytes: number): Promise<DatasetView> {
  const { config } = deps;
  const dir = await createScratchDir(config.uploadTmpDir ?? tmpdir(), 'upload');
  try {
    const quotaFirst = freeBytes < config.uploadLimitBytes;
    const upload = await receiveUpload(request, dir, {
      maxBytes: Math.min(freeBytes, config.uploadLimitBytes),
      tooLarge: () =>
        quotaFirst
          ? storageQuotaError(config.tenantStorageQuotaBytes - freeBytes, config.tenantStorageQuotaBytes, freeBytes + 1)
          : new ApiError('upload_too_large', `The upload is larger than ${config.uploadLimitBytes} bytes (UPLOAD_LIMIT).`, {
              limit: config.uploadLimitBytes,
              variable: 'UPLOAD_LIMIT',
            }),
      idleTimeoutMs: config.uploadIdleTimeoutSeconds * 1000,
    });
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
  } finally {
    await rm(dir, { recursive: true, force: true });
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
