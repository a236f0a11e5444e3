/** GET /v1/jobs: the tenant's jobs, newest first or by a metric, filtered, a page at a time. */
import { ApiError, type EpochMetricName, type JobList, type ListJobsQuery } from '@trainyard/contracts';
import type { ListJobsOptions, Tenant } from '@trainyard/db';
import type { ApiDeps, ApiState } from '../context.js';
import { waitingReasons } from './waiting-for.js';
import { toJobView } from './job-view.js';

export async function listJobs(deps: ApiDeps, state: ApiState, tenant: Tenant, query: ListJobsQuery): Promise<JobList> {
  const page = await deps.db.jobs.list(tenant.id, listOptions(query));
  if ('invalidCursor' in page) {
    throw new ApiError('validation_failed', 'The cursor is not one this API returned for this sort.', [
      { path: 'querystring.cursor', rule: 'cursor' },
    ]);
  }
  const [metrics, waiting] = await Promise.all([
    deps.db.metrics.summaries(page.items.map((job) => job.id)),
    waitingReasons(deps, state, tenant.id, page.items),
  ]);
  return { jobs: page.items.map((job) => toJobView(job, metrics.get(job.id), waiting.get(job.id) ?? null)), nextCursor: page.nextCursor };
}

function listOptions(query: ListJobsQuery): ListJobsOptions {
  if ((query.min !== undefined || query.max !== undefined) && query.metric === undefined) {
    throw new ApiError('validation_failed', 'min and max bound a metric: name it with metric=.', [
      { path: 'querystring.metric', rule: 'required with min or max' },
    ]);
  }
  const [kind, metric, direction] = (query.sort ?? 'createdAt:desc').split(':') as [string, EpochMetricName, 'asc' | 'desc'];
  return {
    status: query.status,
    architecture: query.architecture,
    sweepId: query.sweepId,
    tags: (query.tag ?? []).map((filter) => {
      const colon = filter.indexOf(':');
      return [filter.slice(0, colon), filter.slice(colon + 1)];
    }),
    metric: query.metric && { name: query.metric, min: query.min, max: query.max },
    sort: kind === 'metric' ? { metric, direction } : undefined,
    limit: query.limit ?? 20,
    cursor: query.cursor,
  };
}
