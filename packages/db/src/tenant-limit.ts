/**
 * A per-tenant limit that an insert checks atomically: the count (or byte total) and the insert run
 * in one transaction under a transaction-scoped advisory lock on the tenant, so parallel requests
 * count each other and can never overrun the limit together (a plain `count < limit` check before an
 * INSERT lets every concurrent request pass).
 */
import type pg from 'pg';

export type TenantLimitKind = 'queued_jobs' | 'datasets' | 'storage_quota' | 'webhooks';

export class TenantLimitError extends Error {
  constructor(
    readonly kind: TenantLimitKind,
    /** The count (jobs, datasets) or bytes already there. */
    readonly current: number,
    readonly limit: number,
  ) {
    super(`tenant limit ${kind}: ${current} of ${limit}`);
    this.name = 'TenantLimitError';
  }
}

/** Advisory lock namespaces (the migrations' lock is 72707369, the scheduler's 72707370). */
export const TENANT_JOBS_LOCK = 72707371;
export const TENANT_STORAGE_LOCK = 72707372;
export const TENANT_WEBHOOKS_LOCK = 72707391;

const LOCK_TENANTS = {
  name: 'trainyard.tenant-limit.lock',
  // In array order (the caller sorts), so that two transactions never wait on each other in a cycle.
  text: 'SELECT pg_advisory_xact_lock($1::int, hashtext(tenant)) FROM unnest($2::text[]) AS tenant',
};

/** Takes the namespace's lock on each tenant, inside the client's open transaction. */
export async function lockTenants(client: pg.PoolClient, namespace: number, tenantIds: string[]): Promise<void> {
  const sorted = [...new Set(tenantIds)].sort();
  if (sorted.length > 0) await client.query({ ...LOCK_TENANTS, values: [namespace, sorted] });
}

/** Runs `work` in a transaction on its own connection; a connection that failed mid-way is not reused. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}

const STORED_BYTES = {
  name: 'trainyard.tenant-limit.stored-bytes',
  // Datasets and weights (uploading ones included: their size is known before they are stored), the
  // checkpoints and exported models of the tenant's jobs.
  text: `SELECT ((SELECT coalesce(sum(bytes), 0) FROM datasets WHERE tenant_id = $1::uuid)
               + (SELECT coalesce(sum(bytes), 0) FROM weights WHERE tenant_id = $1::uuid)
               + (SELECT coalesce(sum(c.bytes), 0) FROM checkpoints c JOIN jobs j ON j.id = c.job_id WHERE j.tenant_id = $1::uuid)
               + (SELECT coalesce(sum((file->>'bytes')::bigint), 0)
                  FROM models m JOIN jobs j ON j.id = m.job_id CROSS JOIN jsonb_array_elements(m.files) AS file
                  WHERE j.tenant_id = $1::uuid))::float8 AS bytes`,
};

/** Bytes the tenant keeps in storage: datasets, weights, checkpoints and models (TENANT_STORAGE_QUOTA). */
export async function storedBytes(client: Pick<pg.Pool, 'query'>, tenantId: string): Promise<number> {
  const { rows } = await client.query<{ bytes: number }>({ ...STORED_BYTES, values: [tenantId] });
  return rows[0]!.bytes;
}
