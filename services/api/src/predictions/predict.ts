/**
 * POST /v1/jobs/{id}/predict: the tenant's succeeded job's model (404 for another tenant's, 409 while
 * not succeeded), described for the inference process from its row: where its files are, its input
 * shape and its dataset's class names.
 */
import { modelFiles, type Tenant } from '@trainyard/db';
import type { ApiDeps } from '../context.js';
import { findModel } from '../jobs/model-files.js';
import type { PredictorPool, PredictResult } from './predictor-pool.js';
import type { ModelRef, PredictInputs } from './protocol.js';

interface StoredManifest {
  inputShape: [number, number, number];
  classNames: string[];
}

/**
 * `readInputs` is called once the model is known to exist, so a refused request is not read whole.
 * The answer's `cache` says whether the model was already loaded.
 */
export async function predict(
  deps: ApiDeps,
  pool: PredictorPool,
  request: { tenant: Tenant; jobId: string; top: number; signal: AbortSignal },
  readInputs: () => Promise<PredictInputs>,
): Promise<PredictResult> {
  const model = await findPredictionModel(deps, request.tenant, request.jobId);
  const inputs = await readInputs();
  return pool.predict({ tenantId: request.tenant.id, model, inputs, top: request.top, signal: request.signal });
}

async function findPredictionModel(deps: ApiDeps, tenant: Tenant, jobId: string): Promise<ModelRef> {
  const model = await findModel(deps, tenant, jobId);
  const manifest = model.manifest as unknown as StoredManifest;
  return {
    key: model.jobId,
    storagePrefix: model.storagePrefix,
    files: modelFiles(model),
    inputShape: manifest.inputShape,
    classNames: manifest.classNames,
  };
}
