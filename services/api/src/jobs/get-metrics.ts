/** GET /v1/jobs/{id}/metrics: one row per finished epoch, ascending from 1, and what they ran on. */
import type { DeviceView, EpochMetricsView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findJob } from './find-job.js';

export async function getMetrics(
  deps: ApiDeps,
  tenant: Tenant,
  id: string,
): Promise<{ engine: string | null; device: DeviceView | null; epochs: EpochMetricsView[] }> {
  const job = await findJob(deps.db, tenant.id, id);
  const device = (job.device as unknown as DeviceView | null) ?? null;
  return { engine: job.engine, device, epochs: await deps.db.metrics.list(job.id) };
}
