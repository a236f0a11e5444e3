/**
 * The trained model: GET /v1/jobs/{id}/model (one .tar.gz, stored by the worker beside the files) and
 * GET /v1/jobs/{id}/model/{file} (model.json, weight shards, manifest.json), so that
 * tf.loadLayersModel('<api>/v1/jobs/<id>/model/model.json', { requestInit: { headers } }) loads it
 * straight from the service. Only files the model row lists can be read: no path reaches elsewhere.
 */
import type { Readable } from 'node:stream';
import { ApiError } from '@trainyard/contracts';
import { modelFiles, type Model, type Tenant } from '@trainyard/db';
import { jobKeys } from '@trainyard/storage';
import type { ApiDeps } from '../context.js';
import { findJob } from './find-job.js';

export interface ModelDownload {
  stream: Readable;
  bytes: number | null;
  contentType: string;
  fileName: string;
}

export async function findModel(deps: ApiDeps, tenant: Tenant, id: string): Promise<Model> {
  const job = await findJob(deps.db, tenant.id, id);
  const model = job.status === 'succeeded' ? await deps.db.models.get(job.id) : null;
  if (!model) {
    throw new ApiError('job_not_finished', `Job ${job.id} is ${job.status}; its model exists once it has succeeded.`, {
      status: job.status,
    });
  }
  return model;
}

export async function openModelBundle(deps: ApiDeps, tenant: Tenant, id: string): Promise<ModelDownload> {
  const model = await findModel(deps, tenant, id);
  const key = jobKeys(model.jobId).modelBundle;
  const info = await deps.storage.head(key);
  if (!info) throw new ApiError('not_found', `The model archive of job ${model.jobId} is missing from storage.`);
  return {
    stream: await deps.storage.get(key),
    bytes: info.size,
    contentType: 'application/gzip',
    fileName: `${model.jobId}.tar.gz`,
  };
}

/** The model as a torchvision state_dict, which the worker stores beside the bundle when the architecture has one. */
export async function openModelSafetensors(deps: ApiDeps, tenant: Tenant, id: string): Promise<ModelDownload> {
  const model = await findModel(deps, tenant, id);
  const key = jobKeys(model.jobId).modelSafetensors;
  const info = await deps.storage.head(key);
  if (!info) {
    throw new ApiError(
      'export_unsupported',
      `Job ${model.jobId} trained ${(model.manifest as { architecture?: string }).architecture ?? 'a model'} without a torchvision layout (or before safetensors export existed); download format=tfjs.`,
    );
  }
  return {
    stream: await deps.storage.get(key),
    bytes: info.size,
    contentType: 'application/octet-stream',
    fileName: `${model.jobId}.safetensors`,
  };
}

export async function openModelFile(deps: ApiDeps, tenant: Tenant, id: string, path: string): Promise<ModelDownload> {
  const model = await findModel(deps, tenant, id);
  const file = modelFiles(model).find((candidate) => candidate.path === path);
  if (!file) throw new ApiError('not_found', `The model of job ${model.jobId} has no file ${path.slice(0, 100)}.`);
  return {
    stream: await deps.storage.get(`${model.storagePrefix}${file.path}`),
    bytes: file.bytes,
    contentType: path.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    fileName: file.path,
  };
}
