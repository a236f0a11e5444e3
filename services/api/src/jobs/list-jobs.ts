/** GET /v1/jobs: the tenant's jobs, newest first, a page at a time. */
import { ApiError, type JobList, type ListJobsQuery } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps, ApiState } from '../context.js';
import { waitingReasons } from './waiting-for.js';
import { toJobView } from './job-view.js';

export async function listJobs(deps: ApiDeps, state: ApiState, tenant: Tenant, query: ListJobsQuery): Promise<JobList> {
  const page = await deps.db.jobs.list(tenant.id, { status: query.status, limit: query.limit ?? 20, cursor: query.cursor });
  if ('invalidCursor' in page) {
    throw new ApiError('validation_failed', 'The cursor is not one this API returned.', [{ path: 'querystring.cursor', rule: 'cursor' }]);
  }
  const [metrics, waiting] = await Promise.all([
    deps.db.metrics.summaries(page.items.map((job) => job.id)),
    waitingReasons(deps, state, tenant.id, page.items),
  ]);
  return { jobs: page.items.map((job) => toJobView(job, metrics.get(job.id), waiting.get(job.id) ?? null)), nextCursor: page.nextCursor };
}
