/**
 * Which client method calls which operation of the document. Keyed by every OperationId of
 * @trainyard/contracts, so that an operation added there without a method here does not compile;
 * the tests check that each path names a method of TrainyardClient.
 */
import type { OperationId } from '@trainyard/contracts';

export const CLIENT_METHODS = {
  submitJob: 'jobs.submit',
  listJobs: 'jobs.list',
  getJob: 'jobs.get',
  getJobMetrics: 'jobs.metrics',
  getJobEvaluation: 'jobs.evaluation',
  listJobCheckpoints: 'jobs.checkpoints',
  downloadJobCheckpoint: 'jobs.checkpoint',
  downloadJobModel: 'jobs.model',
  downloadJobModelFile: 'jobs.modelFile',
  exportJobCheckpointModel: 'jobs.checkpointModel',
  cancelJob: 'jobs.cancel',
  deleteJob: 'jobs.delete',
  predictWithJobModel: 'jobs.predict',
  getJobSamples: 'jobs.samples',
  streamJobEvents: 'jobs.events',
  uploadDataset: 'datasets.upload',
  listDatasets: 'datasets.list',
  getDataset: 'datasets.get',
  deleteDataset: 'datasets.delete',
  getDatasetSamples: 'datasets.samples',
  uploadWeights: 'weights.upload',
  listWeights: 'weights.list',
  getWeights: 'weights.get',
  deleteWeights: 'weights.delete',
  createWebhook: 'webhooks.create',
  listWebhooks: 'webhooks.list',
  getWebhook: 'webhooks.get',
  deleteWebhook: 'webhooks.delete',
  rotateWebhookSecret: 'webhooks.rotateSecret',
  listWebhookDeliveries: 'webhooks.deliveries',
  listArchitectures: 'architectures.list',
  listWorkers: 'workers.list',
  getHealth: 'service.health',
  getReadiness: 'service.readiness',
  getPrometheusMetrics: 'service.metrics',
  listTenants: 'admin.tenants.list',
  createTenant: 'admin.tenants.create',
  createApiKey: 'admin.keys.create',
  listApiKeys: 'admin.keys.list',
  revokeApiKey: 'admin.keys.revoke',
} as const satisfies Record<OperationId, string>;
