/** GET /v1/jobs/{id}: the job object itself. */
import type { JobView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps, ApiState } from '../context.js';
import { waitingReasons } from './waiting-for.js';
import { findJob } from './find-job.js';
import { toJobView } from './job-view.js';

export async function getJob(deps: ApiDeps, state: ApiState, tenant: Tenant, id: string): Promise<JobView> {
  const job = await findJob(deps.db, tenant.id, id);
  const [metrics, waiting] = await Promise.all([deps.db.metrics.summaries([job.id]), waitingReasons(deps, state, tenant.id, [job])]);
  return toJobView(job, metrics.get(job.id), waiting.get(job.id) ?? null);
}
