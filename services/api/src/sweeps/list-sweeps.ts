/** GET /v1/sweeps: the tenant's sweeps, newest first, a page at a time (each with its best trial). */
import { ApiError, type ListSweepsQuery, type SweepList } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { sweepSpecOf, toSweepSummary, toSweepView } from './sweep-view.js';

export async function listSweeps(deps: ApiDeps, tenant: Tenant, query: ListSweepsQuery): Promise<SweepList> {
  const page = await deps.db.sweeps.list(tenant.id, { status: query.status, limit: query.limit ?? 20, cursor: query.cursor });
  if ('invalidCursor' in page) {
    throw new ApiError('validation_failed', 'The cursor is not one this API returned.', [{ path: 'querystring.cursor', rule: 'cursor' }]);
  }
  const sweeps = await Promise.all(
    page.items.map(async (sweep) => {
      const trials = await deps.db.sweeps.trials(sweep.id, sweepSpecOf(sweep).metric);
      return toSweepSummary(sweep, toSweepView(sweep, trials, []).best);
    }),
  );
  return { sweeps, nextCursor: page.nextCursor };
}
