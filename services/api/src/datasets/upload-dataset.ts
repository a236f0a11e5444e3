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
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { ApiError, type DatasetView } from '@trainyard/contracts';
import type { DatasetFile, Tenant } from '@trainyard/db';
import { createScratchDir, datasetKeys } from '@trainyard/storage';
import type { ApiDeps } from '../context.js';
import { inspectUpload } from './inspect.js';
import { receiveUpload, safeFileName } from './receive-upload.js';
import { toDatasetView } from './dataset-view.js';

export async function uploadDataset(deps: ApiDeps, tenant: Tenant, request: FastifyRequest): Promise<DatasetView> {
  const count = await deps.db.datasets.countForTenant(tenant.id);
  const limit = deps.config.maxDatasetsPerTenant;
  if (count >= limit) {
    throw new ApiError('datasets_limit', `The tenant already has ${count} datasets; the limit is ${limit} (MAX_DATASETS_PER_TENANT). Delete some first.`, {
      limit,
      datasets: count,
      variable: 'MAX_DATASETS_PER_TENANT',
    });
  }
  const dir = await createScratchDir(deps.config.uploadTmpDir ?? tmpdir(), 'upload');
  try {
    const upload = await receiveUpload(request, dir, deps.config.uploadLimitBytes);
    const summary = await inspectUpload(
      upload.files.map((file) => ({ name: file.name, path: file.path })),
      upload.format,
      upload.readOptions,
      { maxClasses: deps.config.maxClasses },
    );
    const id = randomUUID();
    const keys = datasetKeys(id);
    const name = upload.name ?? upload.files[0]!.name;
    await deps.db.datasets.createUploading({ id, tenantId: tenant.id, name, storagePrefix: keys.root });
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
        bytes: upload.files.reduce((sum, file) => sum + file.bytes, 0),
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
