/** Every operation of the API, by operationId: what the document, the contract tests and @trainyard/client are checked against. */
import type { Operation } from './common.js';
import { JOB_OPERATIONS } from './jobs.js';
import { streamJobEvents } from './events.js';
import { getJobLogs } from './logs.js';
import { deleteDataset, getDataset, listDatasets, uploadDataset } from './datasets.js';
import { getDatasetSamples, getJobSamples } from './samples.js';
import { listArchitectures } from './architectures.js';
import { predictWithJobModel } from './predictions.js';
import { listWorkers } from './workers.js';
import { getHealth, getPrometheusMetrics, getReadiness } from './operations.js';
import { createApiKey, createTenant, listApiKeys, listTenants, revokeApiKey } from './admin.js';
import { WEIGHTS_OPERATIONS } from './weights.js';
import { WEBHOOK_OPERATIONS } from './webhooks.js';
import { SWEEP_OPERATIONS } from './sweeps.js';

export const OPERATIONS = {
  ...JOB_OPERATIONS,
  predictWithJobModel,
  streamJobEvents,
  getJobLogs,
  getJobSamples,
  uploadDataset,
  listDatasets,
  getDataset,
  deleteDataset,
  getDatasetSamples,
  ...WEIGHTS_OPERATIONS,
  ...WEBHOOK_OPERATIONS,
  ...SWEEP_OPERATIONS,
  listArchitectures,
  listWorkers,
  getHealth,
  getReadiness,
  getPrometheusMetrics,
  listTenants,
  createTenant,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} satisfies Record<string, Operation>;

export type OperationId = keyof typeof OPERATIONS;
