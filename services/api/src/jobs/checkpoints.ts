/** GET /v1/jobs/{id}/checkpoints and the download of one checkpoint's bytes. */
import type { Readable } from 'node:stream';
import { ApiError, type CheckpointView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findJob } from './find-job.js';

export async function listCheckpoints(deps: ApiDeps, tenant: Tenant, id: string): Promise<{ checkpoints: CheckpointView[] }> {
  const job = await findJob(deps.db, tenant.id, id);
  const rows = await deps.db.checkpoints.list(job.id);
  return {
    checkpoints: rows.map((row) => ({
      epoch: row.epoch,
      step: row.step,
      bytes: Number(row.bytes),
      createdAt: row.createdAt.toISOString(),
      download: `/v1/jobs/${job.id}/checkpoints/${row.epoch}`,
    })),
  };
}

export async function openCheckpoint(
  deps: ApiDeps,
  tenant: Tenant,
  id: string,
  epoch: number,
): Promise<{ stream: Readable; bytes: number; fileName: string }> {
  const job = await findJob(deps.db, tenant.id, id);
  const checkpoint = (await deps.db.checkpoints.list(job.id)).find((row) => row.epoch === epoch);
  if (!checkpoint) throw new ApiError('not_found', `Job ${job.id} has no checkpoint of epoch ${epoch}.`);
  const stream = await deps.storage.get(checkpoint.storageKey);
  return { stream, bytes: Number(checkpoint.bytes), fileName: `${job.id}-epoch-${epoch}.ckpt` };
}
