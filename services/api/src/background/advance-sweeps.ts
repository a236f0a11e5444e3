/**
 * The sweep loop: advances every running sweep (creates its next trials, ends it once its trials
 * have). Like the queue outbox (enqueue-pending.ts) it works from Postgres alone, so an API restarted
 * mid-sweep picks up where it was, and several API processes running it at once do no harm (the
 * repository takes the sweep row's lock before it creates trials).
 */
import type { ApiDeps } from '../context.js';
import { advanceSweep } from '../sweeps/advance-sweep.js';

export async function advanceSweeps(deps: ApiDeps): Promise<number> {
  const ids = await deps.db.sweeps.runningIds();
  for (const id of ids) await advanceSweep(deps, id);
  return ids.length;
}
