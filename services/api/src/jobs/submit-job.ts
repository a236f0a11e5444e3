/**
 * POST /v1/jobs. Everything that can be refused is refused before anything is written: the schema
 * (Ajv, before this runs), the hyperparameter rules, the architecture against the dataset's input
 * shape, the memory the training would need, the dataset and fine-tuning source, the tenant's
 * queued-job quota.
 *
 * Then the job is inserted (with its idempotency key, in one transaction) and enqueued. Postgres is
 * the record: if the enqueue fails (Redis down, timeout), the row stays `queued` with enqueued_at
 * NULL and the API's outbox loop (background/enqueue-pending.ts) enqueues it later. Enqueueing is
 * idempotent (the queue's job id is ours), so a second enqueue of the same job is harmless. The
 * client gets 201 either way: the job is accepted and will run.
 */
import {
  ApiError,
  BUILTIN_DATASET_INFO,
  isUuid,
  hyperparameterProblems,
  pretrainedOf,
  resolveJobSpec,
  type DatasetRef,
  type JobSpec,
  type JobView,
  type ResolvedJobSpec,
} from '@trainyard/contracts';
import type { Dataset, Job, NewJob, Tenant, Weights } from '@trainyard/db';
import type { ApiDeps, ApiState } from '../context.js';
import { checkModel } from '../architectures/catalog.js';
import { checkMemory } from './memory-estimate.js';
import { findJob } from './find-job.js';
import { requestHash } from './request-hash.js';
import { toJobView } from './job-view.js';
import { storageQuotaError, tenantLimitError } from '../http/tenant-limit-errors.js';

export interface SubmitResult {
  job: JobView;
  /** True when an earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export async function submitJob(
  deps: ApiDeps,
  state: ApiState,
  tenant: Tenant,
  body: JobSpec,
  idempotencyKey: string | undefined,
): Promise<SubmitResult> {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ApiError('validation_failed', 'The Idempotency-Key header must be 1 to 255 visible ASCII characters.', [
      { path: 'headers.idempotency-key', rule: 'pattern' },
    ]);
  }
  const prepared = await prepareJob(deps, tenant.id, body);

  const idempotency = idempotencyKey === undefined ? undefined : { key: idempotencyKey, requestHash: requestHash(body) };
  const earlier = idempotency ? await deps.db.jobs.replay(tenant.id, idempotency) : null;
  if (earlier?.kind === 'conflict') throw new ApiError('idempotency_conflict');
  if (earlier?.kind === 'replayed') return { job: toJobView(earlier.job), replayed: true };
  await checkQueuedQuota(deps, state, tenant.id);
  await checkStorageQuotaSoon(deps, state, tenant.id);

  const created = await deps.db.jobs
    .create({ ...prepared, maxQueued: deps.config.maxQueuedJobsPerTenant }, idempotency)
    .catch((error: unknown) => Promise.reject(tenantLimitError(error)));
  if (created.kind === 'conflict') throw new ApiError('idempotency_conflict');
  if (created.kind === 'created') {
    state.queuedCounts.set(tenant.id, (state.queuedCounts.get(tenant.id) ?? 0) + 1);
    await enqueue(deps, state, created.job.id);
  }
  return { job: toJobView(created.job), replayed: created.kind === 'replayed' };
}

/**
 * Every check of a job spec against this deployment and the tenant's resources (all but the schema,
 * which Ajv checks first, and the quotas): the job row to insert, or the ApiError that refuses it.
 * Sweeps check each planned trial with it too.
 */
export async function prepareJob(deps: ApiDeps, tenantId: string, body: JobSpec): Promise<Omit<NewJob, 'maxQueued'>> {
  if (body.fineTuneFrom !== undefined && body.model.pretrained !== undefined) {
    throw new ApiError('validation_failed', 'Give model.pretrained or fineTuneFrom (its older spelling), not both.', [
      { path: 'body.fineTuneFrom', rule: 'not with model.pretrained' },
    ]);
  }
  const pretrained = pretrainedOf(body);
  const sourceJob =
    pretrained && 'jobId' in pretrained ? await fineTuneSource(deps, tenantId, pretrained.jobId, body.model.architecture) : null;
  const spec = resolveJobSpec(body, sourceJob ? { normalize: normalizeOf(sourceJob) } : {});
  const problems = hyperparameterProblems(spec.hyperparameters);
  if (problems.length > 0) {
    throw new ApiError('invalid_option', `Inconsistent hyperparameters: ${problems.join('; ')}.`, { problems });
  }
  if (sourceJob && spec.hyperparameters.normalize !== normalizeOf(sourceJob)) {
    throw new ApiError(
      'invalid_option',
      `A fine-tune keeps the normalisation of the job it starts from ("${normalizeOf(sourceJob)}"); leave hyperparameters.normalize out.`,
      { field: 'normalize' },
    );
  }

  const dataset = 'id' in spec.dataset ? await readyDataset(deps, tenantId, spec.dataset.id) : null;
  const stored = dataset ? datasetShape(dataset) : BUILTIN_DATASET_INFO['builtin' in spec.dataset ? spec.dataset.builtin : 'synthetic'];
  const inputShape = withReadOptions(stored.inputShape, spec.dataset);
  const { classes } = stored;
  checkInputLimits(deps, inputShape);
  checkModel(spec.model.architecture, spec.model.options, inputShape, classes);
  // Weights that cannot serve this spec are the first thing to fix, before what the spec would cost.
  const weights =
    pretrained && 'weightsId' in pretrained ? await pretrainedWeights(deps, tenantId, pretrained.weightsId, spec, inputShape) : null;
  checkMemory(spec, inputShape, classes, deps.config.workerMemoryBytes, dataset ? datasetExamples(dataset) : 0);

  return {
    tenantId,
    name: spec.name ?? null,
    tags: body.tags ?? {},
    spec: spec as object,
    architecture: spec.model.architecture,
    datasetId: dataset?.id ?? null,
    fineTuneFromId: sourceJob?.id ?? null,
    weightsId: weights?.id ?? null,
    accelerator: spec.resources.accelerator,
  };
}

/**
 * A job writes checkpoints and a model: a tenant at TENANT_STORAGE_QUOTA may not start more. The
 * stored bytes are remembered for a few seconds (submission is the hot path).
 */
async function checkStorageQuotaSoon(deps: ApiDeps, state: ApiState, tenantId: string): Promise<void> {
  const quota = deps.config.tenantStorageQuotaBytes;
  let stored = state.storedBytes.get(tenantId);
  if (stored === undefined) {
    stored = await deps.db.tenants.storedBytes(tenantId);
    state.storedBytes.set(tenantId, stored);
  }
  if (stored >= quota) throw storageQuotaError(stored, quota);
}

/**
 * A quick refusal from a count remembered for a second; the limit itself is enforced atomically by
 * the insert (NewJob.maxQueued), so parallel submissions cannot overrun it.
 */
async function checkQueuedQuota(deps: ApiDeps, state: ApiState, tenantId: string): Promise<void> {
  const limit = deps.config.maxQueuedJobsPerTenant;
  let queued = state.queuedCounts.get(tenantId);
  if (queued === undefined) {
    queued = await deps.db.jobs.countWithStatus(tenantId, ['queued']);
    state.queuedCounts.set(tenantId, queued);
  }
  if (queued >= limit) {
    throw new ApiError(
      'queued_jobs_limit',
      `The tenant already has ${queued} queued jobs; the limit is ${limit} (MAX_QUEUED_JOBS_PER_TENANT). Submit more once some have started.`,
      { limit, queued, variable: 'MAX_QUEUED_JOBS_PER_TENANT' },
    );
  }
}

/** Enqueues a job just inserted; when the queue fails, the outbox loop (background/enqueue-pending.ts) enqueues it later. */
async function enqueue(deps: ApiDeps, state: ApiState, jobId: string): Promise<void> {
  try {
    await deps.queue.enqueueNew(jobId);
    state.enqueueMarks.add(jobId);
  } catch (error) {
    deps.logger.warn({ jobId, err: error }, 'enqueue failed; the outbox will enqueue the job later');
  }
}

async function readyDataset(deps: ApiDeps, tenantId: string, id: string): Promise<Dataset> {
  const dataset = isUuid(id) ? await deps.db.datasets.findForTenant(tenantId, id) : null;
  if (!dataset) throw new ApiError('not_found', `No dataset ${id}.`, { path: 'body.dataset.id' });
  if (dataset.status !== 'ready') throw new ApiError('dataset_not_ready');
  return dataset;
}

/** Examples the worker holds in memory while it trains (an uploaded dataset is decoded whole). */
function datasetExamples(dataset: Dataset): number {
  const summary = dataset.summary as { trainSize?: number; testSize?: number };
  return (summary.trainSize ?? 0) + (summary.testSize ?? 0);
}

function datasetShape(dataset: Dataset): { inputShape: [number, number, number]; classes: number } {
  const summary = dataset.summary as { inputShape: [number, number, number]; classNames: string[] };
  return { inputShape: summary.inputShape, classes: summary.classNames.length };
}

function checkInputLimits(deps: ApiDeps, inputShape: [number, number, number]): void {
  const [height, width] = inputShape;
  if (height * width > deps.config.maxInputPixels) {
    throw new ApiError(
      'input_too_large',
      `Images of ${height}x${width} exceed this service's limit of ${deps.config.maxInputPixels} pixels (MAX_INPUT_PIXELS).`,
      { inputShape, limit: deps.config.maxInputPixels, variable: 'MAX_INPUT_PIXELS' },
    );
  }
}

/** The input shape a job trains on: the dataset's, changed by the job's imageSize and channels. */
function withReadOptions(shape: [number, number, number], options: DatasetRef): [number, number, number] {
  return [options.imageSize?.[0] ?? shape[0], options.imageSize?.[1] ?? shape[1], options.channels ?? shape[2]];
}

async function fineTuneSource(deps: ApiDeps, tenantId: string, sourceId: string, architecture: string): Promise<Job> {
  const source = await findJob(deps.db, tenantId, sourceId);
  if (source.status !== 'succeeded') {
    throw new ApiError('fine_tune_source_invalid', `Job ${sourceId} has not succeeded (status ${source.status}).`, {
      path: 'body.model.pretrained.jobId',
    });
  }
  if (source.architecture !== architecture) {
    throw new ApiError(
      'fine_tune_source_invalid',
      `Job ${sourceId} trained ${source.architecture}; fine-tuning needs the same architecture, not ${architecture}.`,
      { path: 'body.model.pretrained.jobId' },
    );
  }
  return source;
}

/** A job's normalisation mode (jobs stored before the modes had true or false). */
function normalizeOf(job: Job): ResolvedJobSpec['hyperparameters']['normalize'] {
  const value = (job.spec as unknown as ResolvedJobSpec).hyperparameters.normalize as unknown;
  return value === true ? 'dataset' : value === false ? 'none' : (value as ResolvedJobSpec['hyperparameters']['normalize']);
}

/** The tenant's ready weights for this architecture, on input they can take (torchvision's stem, 3 channels). */
async function pretrainedWeights(
  deps: ApiDeps,
  tenantId: string,
  id: string,
  spec: ResolvedJobSpec,
  inputShape: [number, number, number],
): Promise<Weights> {
  const path = 'body.model.pretrained.weightsId';
  const weights = isUuid(id) ? await deps.db.weights.findForTenant(tenantId, id) : null;
  if (!weights || weights.status !== 'ready') throw new ApiError('not_found', `No weights ${id}.`, { path });
  const architecture = spec.model.architecture;
  if (weights.architecture !== architecture) {
    throw new ApiError('fine_tune_source_invalid', `Weights ${id} are for ${weights.architecture}, not ${architecture}.`, { path });
  }
  if (spec.model.options?.smallInput) {
    throw new ApiError(
      'fine_tune_source_invalid',
      "Pretrained weights cannot be used with smallInput: its stem differs from torchvision's.",
      {
        path: 'body.model.options.smallInput',
      },
    );
  }
  if (inputShape[2] !== 3) {
    throw new ApiError(
      'fine_tune_source_invalid',
      `Pretrained weights take 3-channel images; this dataset has ${inputShape[2]} (set dataset.channels to 3 to replicate grey images).`,
      { path: 'body.dataset.channels' },
    );
  }
  return weights;
}
