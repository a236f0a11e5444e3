/** The tenant's sweep or 404: another tenant's sweep id is answered exactly like an unknown one. */
import { ApiError, isUuid } from '@trainyard/contracts';
import type { Database, Sweep } from '@trainyard/db';

export async function findSweep(db: Database, tenantId: string, id: string): Promise<Sweep> {
  const sweep = isUuid(id) ? await db.sweeps.findForTenant(tenantId, id) : null;
  if (!sweep) throw new ApiError('not_found', `No sweep ${id.slice(0, 64)}.`);
  return sweep;
}
