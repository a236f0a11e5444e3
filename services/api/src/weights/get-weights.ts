/** GET /v1/weights/{id}. */
import type { WeightsView } from '@trainyard/contracts';
import type { Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findWeights } from './find-weights.js';
import { toWeightsView } from './weights-view.js';

export async function getWeights(deps: ApiDeps, tenant: Tenant, id: string): Promise<WeightsView> {
  return toWeightsView(await findWeights(deps.db, tenant.id, id));
}
