/** The tenant's dataset or 404 (another tenant's id is answered like an unknown one). */
import { ApiError, isUuid } from '@trainyard/contracts';
import type { Database, Dataset } from '@trainyard/db';

export async function findDataset(db: Database, tenantId: string, id: string): Promise<Dataset> {
  const dataset = isUuid(id) ? await db.datasets.findForTenant(tenantId, id) : null;
  if (!dataset || dataset.status !== 'ready') throw new ApiError('not_found', `No dataset ${id.slice(0, 64)}.`);
  return dataset;
}
