/** GET /v1/sweeps/{id} and GET /v1/sweeps/{id}/decisions. */
import type { SweepDecisionList, SweepView } from '@trainyard/contracts';
import type { Sweep, Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findSweep } from './find-sweep.js';
import { sweepSpecOf, toSweepView } from './sweep-view.js';

export async function getSweep(deps: ApiDeps, tenant: Tenant, id: string): Promise<SweepView> {
  return sweepView(deps, await findSweep(deps.db, tenant.id, id));
}

/** The view of a sweep row with its trials and decisions (also the data of its webhook events). */
export async function sweepView(deps: Pick<ApiDeps, 'db'>, sweep: Sweep): Promise<SweepView> {
  const [trials, decisions] = await Promise.all([
    deps.db.sweeps.trials(sweep.id, sweepSpecOf(sweep).metric),
    deps.db.sweeps.decisions(sweep.id),
  ]);
  return toSweepView(sweep, trials, decisions);
}

export async function listSweepDecisions(deps: ApiDeps, tenant: Tenant, id: string): Promise<SweepDecisionList> {
  const sweep = await findSweep(deps.db, tenant.id, id);
  const decisions = await deps.db.sweeps.decisions(sweep.id);
  return { decisions: decisions.map((decision) => ({ ...decision, decidedAt: decision.decidedAt.toISOString() })) };
}
