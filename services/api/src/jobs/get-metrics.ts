/** GET /v1/jobs/{id}/metrics: one row per finished epoch, ascending from 1. */
import type { EpochMetricsView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findJob } from './find-job.js';

export async function getMetrics(deps: ApiDeps, tenant: Tenant, id: string): Promise<{ epochs: EpochMetricsView[] }> {
  const job = await findJob(deps.db, tenant.id, id);
  return { epochs: await deps.db.metrics.list(job.id) };
}
