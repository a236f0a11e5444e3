/** The tenant's job or 404: another tenant's job id is answered exactly like an unknown one. */
import { ApiError, isUuid } from '@trainyard/contracts';
import type { Database, Job } from '@trainyard/db';

export async function findJob(db: Database, tenantId: string, id: string): Promise<Job> {
  const job = isUuid(id) ? await db.jobs.findForTenant(tenantId, id) : null;
  if (!job) throw new ApiError('not_found', `No job ${id.slice(0, 64)}.`);
  return job;
}
