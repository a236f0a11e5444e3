/**
 * The per-tenant limits that the repositories enforce atomically (TenantLimitError from
 * @trainyard/db) as API errors, each with its code, its limit and its variable; and the storage quota
 * check both uploads and submissions make before they start (TENANT_STORAGE_QUOTA).
 */
import { ApiError } from '@trainyard/contracts';
import { TenantLimitError } from '@trainyard/db';
import type { ApiDeps } from '../context.js';

const mb = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MB`;

export function storageQuotaError(storedBytes: number, quotaBytes: number, addingBytes = 0): ApiError {
  return new ApiError(
    'storage_quota_exceeded',
    `The tenant stores ${mb(storedBytes)}${addingBytes > 0 ? ` and this adds ${mb(addingBytes)}` : ''}; the quota is ${mb(quotaBytes)} ` +
      '(TENANT_STORAGE_QUOTA: datasets, weights, checkpoints and models). Delete some first.',
    { limit: quotaBytes, storedBytes, variable: 'TENANT_STORAGE_QUOTA' },
  );
}

/** Turns a TenantLimitError into its API error; anything else is returned as it is. */
export function tenantLimitError(error: unknown): unknown {
  if (!(error instanceof TenantLimitError)) return error;
  switch (error.kind) {
    case 'queued_jobs':
      return new ApiError(
        'queued_jobs_limit',
        `The tenant already has ${error.current} queued jobs; the limit is ${error.limit} (MAX_QUEUED_JOBS_PER_TENANT). Submit more once some have started.`,
        { limit: error.limit, queued: error.current, variable: 'MAX_QUEUED_JOBS_PER_TENANT' },
      );
    case 'datasets':
      return new ApiError(
        'datasets_limit',
        `The tenant already has ${error.current} datasets; the limit is ${error.limit} (MAX_DATASETS_PER_TENANT). Delete some first.`,
        { limit: error.limit, datasets: error.current, variable: 'MAX_DATASETS_PER_TENANT' },
      );
    case 'storage_quota':
      return storageQuotaError(error.current, error.limit);
    case 'webhooks':
      return new ApiError(
        'webhooks_limit',
        `The tenant already has ${error.current} webhooks; the limit is ${error.limit} (MAX_WEBHOOKS_PER_TENANT). Delete some first.`,
        { limit: error.limit, webhooks: error.current, variable: 'MAX_WEBHOOKS_PER_TENANT' },
      );
  }
}

/**
 * Throws storage_quota_exceeded when the tenant already stores TENANT_STORAGE_QUOTA; returns the bytes
 * still free. Uploads check again, atomically, when their row is written.
 */
export async function checkStorageQuota(deps: Pick<ApiDeps, 'db' | 'config'>, tenantId: string): Promise<number> {
  const quota = deps.config.tenantStorageQuotaBytes;
  const stored = await deps.db.tenants.storedBytes(tenantId);
  if (stored >= quota) throw storageQuotaError(stored, quota);
  return quota - stored;
}
