/**
 * POST /v1/sweeps/{id}/cancel: the sweep is marked cancelled first (one conditional update), so the
 * sweep loop creates no trial after it; then its queued trials are cancelled and its running ones
 * asked to stop, as POST /v1/jobs/{id}/cancel does for one job.
 */
import { ApiError, type SweepView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { stopJob } from '../jobs/cancel-job.js';
import { findSweep } from './find-sweep.js';
import { getSweep, sweepView } from './get-sweep.js';

export async function cancelSweep(deps: ApiDeps, tenant: Tenant, id: string): Promise<SweepView> {
  const sweep = await findSweep(deps.db, tenant.id, id);
  if (!(await deps.db.sweeps.cancel(sweep.id, (moved) => sweepView(deps, moved)))) {
    const now = await findSweep(deps.db, tenant.id, sweep.id);
    throw new ApiError('sweep_not_cancellable', `Sweep ${sweep.id} has already finished (${now.status}).`, { status: now.status });
  }
  for (const trial of await deps.db.sweeps.activeTrials(sweep.id)) await stopJob(deps, trial);
  return getSweep(deps, tenant, sweep.id);
}
