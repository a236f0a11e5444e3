/** GET /v1/datasets/{id}: classes, counts, input shape, validation result. */
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findDataset } from './find-dataset.js';
import type { DatasetView } from '@trainyard/contracts';
import { toDatasetView } from './dataset-view.js';

export async function getDataset(deps: ApiDeps, tenant: Tenant, id: string): Promise<DatasetView> {
  return toDatasetView(await findDataset(deps.db, tenant.id, id));
}
