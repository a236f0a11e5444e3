/** JobView.waitingFor: why queued jobs are not running yet, judged from the live workers and the tenant's running jobs. */
import type { WaitingFor } from '@trainyard/contracts';
import type { Job } from '@trainyard/db';
import type { ApiDeps, ApiState } from '../context.js';

/**
 * Per queued job: 'gpu' or 'cpu' when it needs that class and no live worker serves it, else
 * 'tenant_running_limit' when its tenant already runs MAX_RUNNING_JOBS_PER_TENANT jobs. Jobs not
 * in the map wait for nothing (or are not queued).
 */
export async function waitingReasons(deps: ApiDeps, state: ApiState, tenantId: string, jobs: Job[]): Promise<Map<string, WaitingFor>> {
  const reasons = new Map<string, WaitingFor>();
  const queued = jobs.filter((job) => job.status === 'queued');
  if (queued.length === 0) return reasons;
  const [classes, running] = await Promise.all([
    state.liveWorkers.classes().catch(() => null), // Redis unreachable: no claim about workers
    deps.db.jobs.countRunning(tenantId),
  ]);
  for (const job of queued) {
    if (classes !== null && (job.accelerator === 'gpu' || job.accelerator === 'cpu') && !classes.has(job.accelerator)) {
      reasons.set(job.id, job.accelerator);
    } else if (running >= deps.config.maxRunningJobsPerTenant) {
      reasons.set(job.id, 'tenant_running_limit');
    }
  }
  return reasons;
}
