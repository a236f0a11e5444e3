/**
 * GET /v1/jobs/compare?ids=a,b,c: where the jobs' resolved specs differ (dotted paths, as a sweep's
 * space names them), each job's per-epoch metrics on one epoch axis, and its final metrics. Every id
 * must be one of the tenant's jobs: one that is not answers 404, like GET /v1/jobs/{id}.
 */
import { ApiError, isUuid, COMPARE_MAX_JOBS, type EpochMetricsView, type JobComparison } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';

export async function compareJobs(deps: ApiDeps, tenant: Tenant, idList: string): Promise<JobComparison> {
  const ids = [...new Set(idList.split(',').map((id) => id.trim()))];
  if (ids.some((id) => id === '') || ids.length > COMPARE_MAX_JOBS) {
    throw new ApiError('validation_failed', `ids is a comma-separated list of 1 to ${COMPARE_MAX_JOBS} job ids.`, [
      { path: 'querystring.ids', rule: 'list', limit: COMPARE_MAX_JOBS },
    ]);
  }
  const found = await deps.db.jobs.findManyForTenant(tenant.id, ids.filter(isUuid));
  const byId = new Map(found.map((job) => [job.id, job]));
  const missing = ids.find((id) => !byId.has(id));
  if (missing !== undefined) throw new ApiError('not_found', `No job ${missing.slice(0, 64)}.`);
  const jobs = ids.map((id) => byId.get(id)!);

  const [curves, evaluations] = await Promise.all([deps.db.metrics.listMany(ids), deps.db.jobs.evaluationSummaries(ids)]);
  const epochs = [...new Set([...curves.values()].flatMap((rows) => rows.map((row) => row.epoch)))].sort((a, b) => a - b);
  const leaves = jobs.map((job) => specLeaves(job.spec));
  const differences = differingPaths(leaves);
  return {
    differences,
    epochs,
    jobs: jobs.map((job, index) => {
      const rows = curves.get(job.id) ?? [];
      const byEpoch = new Map(rows.map((row) => [row.epoch, row]));
      return {
        id: job.id,
        name: job.name,
        status: job.status,
        architecture: job.architecture,
        tags: job.tags as Record<string, string>,
        specDifferences: Object.fromEntries(differences.map((path) => [path, leaves[index]!.get(path) ?? null])),
        curve: epochs.map((epoch): EpochMetricsView | null => byEpoch.get(epoch) ?? null),
        finalMetrics: rows.at(-1) ?? null,
        evaluation: evaluations.get(job.id) ?? null,
      };
    }),
  };
}

/** The spec's values by dotted path; arrays are values (a list of freeze prefixes is one setting). The name is not a setting. */
function specLeaves(spec: unknown): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path === '' ? key : `${path}.${key}`);
    } else if (path !== 'name') leaves.set(path, value);
  };
  walk(spec, '');
  return leaves;
}

/** The paths whose values are not the same in every spec (a path one spec lacks differs), sorted. */
function differingPaths(leaves: Array<Map<string, unknown>>): string[] {
  const paths = new Set(leaves.flatMap((map) => [...map.keys()]));
  return [...paths]
    .filter((path) => new Set(leaves.map((map) => (map.has(path) ? JSON.stringify(map.get(path)) : undefined))).size > 1)
    .sort();
}
