/** GET /v1/jobs/{id}: the job object itself. */
import type { JobView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findJob } from './find-job.js';
import { toJobView } from './job-view.js';

export async function getJob(deps: ApiDeps, tenant: Tenant, id: string): Promise<JobView> {
  const job = await findJob(deps.db, tenant.id, id);
  const metrics = await deps.db.metrics.summaries([job.id]);
  return toJobView(job, metrics.get(job.id));
}
