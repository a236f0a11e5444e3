/**
 * /v1/jobs: the job resource's request and response schemas and its operations. The static types
 * (JobView, EvaluationView...) are derived from the schemas, so the API, the CLI, the dashboard and
 * @trainyard/client read the same shapes the OpenAPI document publishes.
 */
import { Type, type Static } from '@sinclair/typebox';
import { JOB_PHASES, JOB_STATUSES } from '../job-status.js';
import {
  buildJobSpecSchema,
  TAG_KEY_PATTERN,
  TAG_LIMITS,
  tagsSchema,
  type JobSpec,
  type JobSpecLimits,
  type ResolvedJobSpec,
} from '../job-spec.js';
import { STOP_REASONS } from './sweeps.js';
import {
  BODY_ERRORS,
  Header,
  IdParams,
  Nullable,
  PageQuery,
  StringEnum,
  Timestamp,
  UUID_PATTERN,
  empty,
  json,
  keyOperation,
  media,
} from './common.js';

export const JobStatusSchema = StringEnum(JOB_STATUSES);
export const JobPhaseSchema = StringEnum(JOB_PHASES);

/** The body of POST /v1/jobs with a deployment's limits (MAX_EPOCHS...). */
export const jobSpecBodySchema = (limits?: JobSpecLimits) => Type.Unsafe<JobSpec>(buildJobSpecSchema(limits));
/** ... and with the default limits. */
export const JobSpecSchema = jobSpecBodySchema();
export const ResolvedJobSpecSchema = Type.Unsafe<ResolvedJobSpec>({
  ...buildJobSpecSchema(),
  description: 'The spec as submitted, with every hyperparameter filled in',
});

/** Written by the worker on the job row while it trains; null fields are not known yet. */
export const JobProgressSchema = Type.Object({
  epoch: Type.Integer(),
  epochs: Type.Integer(),
  step: Type.Integer(),
  steps: Type.Integer(),
  imagesPerSecond: Nullable(Type.Number()),
  etaSeconds: Nullable(Type.Number()),
});
export type JobProgress = Static<typeof JobProgressSchema>;

/** One row of GET /v1/jobs/{id}/metrics. */
export const EpochMetricsSchema = Type.Object({
  epoch: Type.Integer({ minimum: 1 }),
  trainLoss: Type.Number(),
  trainAccuracy: Type.Number(),
  validationLoss: Nullable(Type.Number()),
  validationAccuracy: Nullable(Type.Number()),
  learningRate: Type.Number(),
  seconds: Type.Number(),
  imagesPerSecond: Type.Number(),
});
export type EpochMetricsView = Static<typeof EpochMetricsSchema>;

/** The per-epoch metrics GET /v1/jobs filters and sorts on (each job's value at its last recorded epoch). */
export const EPOCH_METRIC_NAMES = [
  'trainLoss',
  'trainAccuracy',
  'validationLoss',
  'validationAccuracy',
  'learningRate',
  'seconds',
  'imagesPerSecond',
] as const satisfies ReadonlyArray<Exclude<keyof EpochMetricsView, 'epoch'>>;
export type EpochMetricName = (typeof EPOCH_METRIC_NAMES)[number];

/** A job's tags: string keys and values. */
export const TagsSchema = Type.Unsafe<Record<string, string>>(tagsSchema());

export const JobLinksSchema = Type.Object(
  {
    self: Type.String(),
    metrics: Type.String(),
    evaluation: Type.String(),
    checkpoints: Type.String(),
    model: Type.String(),
    modelJson: Type.String(),
    cancel: Type.String(),
  },
  { additionalProperties: Type.String() },
);

/** Why a queued job waits (JobView.waitingFor). */
export const WAITING_REASONS = ['gpu', 'cpu', 'tenant_running_limit'] as const;
export type WaitingFor = (typeof WAITING_REASONS)[number];

/** What an engine computed on: the GPU adapter, the CUDA device, or the CPU model. */
export const DeviceSchema = Type.Object(
  {
    kind: StringEnum(['gpu', 'cpu'], {
      description: "Where the arithmetic ran: a software WebGPU adapter (Mesa's llvmpipe) counts as cpu",
    }),
    name: Type.String({ description: "The WebGPU adapter's vendor and description, the CUDA device, or the CPU model" }),
  },
  { title: 'Device' },
);
export type DeviceView = Static<typeof DeviceSchema>;

export const JobViewSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Nullable(Type.String()),
    tags: TagsSchema,
    status: JobStatusSchema,
    phase: Nullable(JobPhaseSchema),
    architecture: Type.String(),
    spec: ResolvedJobSpecSchema,
    progress: Nullable(JobProgressSchema),
    metrics: Type.Object({
      latest: Nullable(EpochMetricsSchema),
      best: Nullable(EpochMetricsSchema, { description: 'The epoch with the best validation (else training) accuracy' }),
    }),
    engine: Nullable(Type.String()),
    device: Nullable(DeviceSchema, { description: 'What the engine computed on; null until a worker started the job' }),
    waitingFor: Nullable(
      StringEnum(WAITING_REASONS, {
        description:
          'Why a queued job is not running: no live worker of its accelerator class (gpu, cpu), or its tenant already runs MAX_RUNNING_JOBS_PER_TENANT jobs; null otherwise',
      }),
    ),
    attempts: Type.Integer({ minimum: 0 }),
    sweepId: Nullable(Type.String({ format: 'uuid', description: 'The sweep this job is a trial of' })),
    stopReason: Nullable(
      StringEnum(STOP_REASONS, {
        description:
          "Why a succeeded job stopped before its last epoch: early_stopping (hyperparameters.earlyStopping) or pruned (its sweep's ASHA searcher); null when it ran to the end",
      }),
    ),
    cancelRequested: Type.Boolean(),
    error: Nullable(Type.Object({ code: Type.String({ description: 'A code of the error catalogue' }), message: Type.String() })),
    createdAt: Timestamp,
    startedAt: Nullable(Timestamp),
    finishedAt: Nullable(Timestamp),
    updatedAt: Timestamp,
    links: JobLinksSchema,
  },
  { title: 'Job' },
);
export type JobView = Static<typeof JobViewSchema>;

export const JobListSchema = Type.Object({ jobs: Type.Array(JobViewSchema), nextCursor: Nullable(Type.String()) });
export type JobList = Static<typeof JobListSchema>;

/** GET /v1/jobs?sort=: newest first (the default), or by a metric of each job's last epoch. */
export const JOB_SORTS = [
  'createdAt:desc',
  ...EPOCH_METRIC_NAMES.flatMap((name) => [`metric:${name}:desc`, `metric:${name}:asc`] as const),
] as const;
export type JobSort = 'createdAt:desc' | `metric:${EpochMetricName}:${'desc' | 'asc'}`;

export const ListJobsQuerySchema = Type.Object(
  {
    status: Type.Optional(JobStatusSchema),
    architecture: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    sweepId: Type.Optional(Type.String({ pattern: UUID_PATTERN, description: "Only the trials of this sweep (one of the tenant's)" })),
    tag: Type.Optional(
      Type.Array(
        Type.String({
          pattern: `${TAG_KEY_PATTERN.slice(0, -1)}:`,
          maxLength: TAG_LIMITS.maxKeyLength + 1 + TAG_LIMITS.maxValueLength,
        }),
        {
          maxItems: 20,
          description: 'key:value (split at the first colon); repeated, a job must carry every one of them',
        },
      ),
    ),
    metric: Type.Optional(
      StringEnum(EPOCH_METRIC_NAMES, { description: "With min and/or max: the metric of the job's last recorded epoch" }),
    ),
    min: Type.Optional(Type.Number({ description: 'Only jobs whose metric is at least this' })),
    max: Type.Optional(Type.Number({ description: 'Only jobs whose metric is at most this' })),
    sort: Type.Optional(
      Type.Unsafe<JobSort>({
        type: 'string',
        enum: [...JOB_SORTS],
        default: 'createdAt:desc',
        description:
          "createdAt:desc (newest first), or metric:<name>:desc|asc by the metric of each job's last recorded epoch, " +
          'listing only the jobs that have recorded it; the cursor pages under either',
      }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type ListJobsQuery = Static<typeof ListJobsQuerySchema>;

/** The body of PATCH /v1/jobs/{id}. */
export const UpdateJobSchema = Type.Object(
  { tags: Type.Unsafe<Record<string, string | null>>(tagsSchema(true)) },
  { additionalProperties: false, title: 'JobUpdate' },
);
export type UpdateJobBody = Static<typeof UpdateJobSchema>;

export const COMPARE_MAX_JOBS = 10;

export const CompareJobsQuerySchema = Type.Object(
  {
    ids: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: `Up to ${COMPARE_MAX_JOBS} job ids, comma-separated`,
    }),
  },
  { additionalProperties: false },
);
export type CompareJobsQuery = Static<typeof CompareJobsQuerySchema>;

export const ComparedJobSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Nullable(Type.String()),
  status: JobStatusSchema,
  architecture: Type.String(),
  tags: TagsSchema,
  specDifferences: Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    additionalProperties: true,
    description: "This job's value at each path of `differences` (null where its spec has none)",
  }),
  curve: Type.Array(Nullable(EpochMetricsSchema), {
    description: "curve[i] is this job's epoch epochs[i]; null where it has not recorded that epoch",
  }),
  finalMetrics: Nullable(EpochMetricsSchema, { description: 'Its last recorded epoch' }),
  evaluation: Nullable(
    Type.Object({ top1: Type.Number(), top5: Type.Number(), loss: Type.Number() }, { description: 'On the test set, once it succeeded' }),
  ),
});
export type ComparedJobView = Static<typeof ComparedJobSchema>;

export const JobComparisonSchema = Type.Object(
  {
    differences: Type.Array(Type.String(), {
      description: 'The dotted paths of the resolved specs (hyperparameters.learningRate...) where the jobs differ',
    }),
    epochs: Type.Array(Type.Integer({ minimum: 1 }), { description: 'Every epoch any of the jobs recorded, ascending' }),
    jobs: Type.Array(ComparedJobSchema, { description: 'In the order of `ids`' }),
  },
  { title: 'JobComparison' },
);
export type JobComparison = Static<typeof JobComparisonSchema>;

export const JobMetricsSchema = Type.Object({
  engine: Nullable(Type.String({ description: 'The engine the epochs were trained on' })),
  device: Nullable(DeviceSchema),
  epochs: Type.Array(EpochMetricsSchema),
});
export type JobMetrics = Static<typeof JobMetricsSchema>;

export const ClassMetricsSchema = Type.Object({
  className: Type.String(),
  precision: Type.Number(),
  recall: Type.Number(),
  f1: Type.Number(),
  support: Type.Integer(),
});

export const EvaluationSchema = Type.Object(
  {
    top1: Type.Number({ minimum: 0, maximum: 1, description: 'Top-1 accuracy on the test set' }),
    top5: Type.Number({ minimum: 0, maximum: 1 }),
    loss: Type.Number(),
    classNames: Type.Array(Type.String()),
    perClass: Type.Array(ClassMetricsSchema),
    confusionMatrix: Type.Array(Type.Array(Type.Integer()), { description: 'confusionMatrix[true][predicted]' }),
    examples: Type.Optional(Type.Integer({ description: 'Test images evaluated' })),
  },
  { title: 'Evaluation' },
);
export type EvaluationView = Static<typeof EvaluationSchema>;

export const CheckpointSchema = Type.Object({
  epoch: Type.Integer(),
  step: Type.Integer(),
  bytes: Type.Integer(),
  createdAt: Timestamp,
  download: Type.String({ description: 'The path of its download' }),
});
export type CheckpointView = Static<typeof CheckpointSchema>;
export const CheckpointListSchema = Type.Object({ checkpoints: Type.Array(CheckpointSchema) });
export type CheckpointList = Static<typeof CheckpointListSchema>;

const download = { 'content-disposition': Header.contentDisposition };

export const submitJob = keyOperation(
  'POST',
  '/v1/jobs',
  {
    operationId: 'submitJob',
    summary: 'Submit a training job',
    tags: ['jobs'],
    body: JobSpecSchema,
    headers: Type.Object({
      'idempotency-key': Type.Optional(
        Type.String({ description: 'Repeating a request with the same key answers the same job instead of a second one' }),
      ),
    }),
    response: {
      201: json('The queued job', JobViewSchema, { location: Header.location, 'idempotent-replayed': Header.idempotentReplayed }),
    },
  },
  [
    ...BODY_ERRORS,
    'hyperparameter_limit',
    'invalid_tag',
    'tags_limit',
    'unknown_architecture',
    'invalid_option',
    'not_found',
    'idempotency_conflict',
    'dataset_not_ready',
    'input_too_small',
    'input_too_large',
    'model_too_large',
    'fine_tune_source_invalid',
    'queued_jobs_limit',
    'storage_quota_exceeded',
  ],
);

export const listJobs = keyOperation(
  'GET',
  '/v1/jobs',
  {
    operationId: 'listJobs',
    summary: 'List jobs: newest first or by a metric, filtered by tags, architecture, status and metric range',
    tags: ['jobs'],
    querystring: ListJobsQuerySchema,
    response: { 200: json('A page of jobs', JobListSchema) },
  },
  ['validation_failed'],
);

const byId = ['validation_failed', 'not_found'] as const;
/** Path parameters of one epoch's checkpoint of a job. */
const CheckpointParams = Type.Object({ ...IdParams.properties, epoch: Type.Integer({ minimum: 0, maximum: 1_000_000 }) });

export const compareJobs = keyOperation(
  'GET',
  '/v1/jobs/compare',
  {
    operationId: 'compareJobs',
    summary: 'Compare jobs: where their specs differ, their per-epoch curves aligned by epoch, their final metrics',
    description: `Up to ${COMPARE_MAX_JOBS} jobs of the tenant; an id that is not one of its jobs answers 404.`,
    tags: ['jobs'],
    querystring: CompareJobsQuerySchema,
    response: { 200: json('The comparison', JobComparisonSchema) },
  },
  [...byId],
);

export const updateJob = keyOperation(
  'PATCH',
  '/v1/jobs/{id}',
  {
    operationId: 'updateJob',
    summary: "Change a job's tags",
    description: "The tags are merged into the job's: a key with a string value is added or replaced, a key with null is deleted.",
    tags: ['jobs'],
    params: IdParams,
    body: UpdateJobSchema,
    response: { 200: json('The job with its new tags', JobViewSchema) },
  },
  [...BODY_ERRORS, 'not_found', 'invalid_tag', 'tags_limit'],
);

export const getJob = keyOperation(
  'GET',
  '/v1/jobs/{id}',
  {
    operationId: 'getJob',
    summary: 'One job: status, phase, progress, metrics, error',
    tags: ['jobs'],
    params: IdParams,
    response: { 200: json('The job', JobViewSchema) },
  },
  [...byId],
);

export const getJobMetrics = keyOperation(
  'GET',
  '/v1/jobs/{id}/metrics',
  {
    operationId: 'getJobMetrics',
    summary: 'Per-epoch metrics, ascending',
    tags: ['jobs'],
    params: IdParams,
    response: { 200: json('One row per finished epoch', JobMetricsSchema) },
  },
  [...byId],
);

export const getJobEvaluation = keyOperation(
  'GET',
  '/v1/jobs/{id}/evaluation',
  {
    operationId: 'getJobEvaluation',
    summary: 'Final metrics on the test set',
    tags: ['jobs'],
    params: IdParams,
    response: { 200: json('The evaluation', EvaluationSchema) },
  },
  [...byId, 'job_not_finished'],
);

export const listJobCheckpoints = keyOperation(
  'GET',
  '/v1/jobs/{id}/checkpoints',
  {
    operationId: 'listJobCheckpoints',
    summary: 'Stored checkpoints',
    tags: ['jobs'],
    params: IdParams,
    response: { 200: json('The checkpoints, by epoch', CheckpointListSchema) },
  },
  [...byId],
);

export const downloadJobCheckpoint = keyOperation(
  'GET',
  '/v1/jobs/{id}/checkpoints/{epoch}',
  {
    operationId: 'downloadJobCheckpoint',
    summary: "Download one epoch's checkpoint",
    tags: ['jobs'],
    params: CheckpointParams,
    response: { 200: media('The checkpoint file', 'application/octet-stream', download) },
  },
  [...byId, 'storage_unavailable'],
);

export const MODEL_FORMATS = ['tfjs', 'safetensors'] as const;
export const ModelFormatQuerySchema = Type.Object(
  {
    format: Type.Optional(
      Type.Union(
        MODEL_FORMATS.map((format) => Type.Literal(format)),
        {
          default: 'tfjs',
          description:
            'tfjs: model.json, its weight shards and manifest.json in one .tar.gz (tf.loadLayersModel). safetensors: a torchvision ' +
            'state_dict (strict load_state_dict into torchvision.models.<architecture>(num_classes=K)); __metadata__ holds the ' +
            'normalisation, the input size and the class names.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ModelFormatQuery = Static<typeof ModelFormatQuerySchema>;

const modelDownloads = {
  description: 'The model in the requested format',
  headers: download,
  content: {
    'application/gzip': { schema: Type.String({ format: 'binary' }) },
    'application/octet-stream': { schema: Type.String({ format: 'binary' }) },
  },
};

export const downloadJobModel = keyOperation(
  'GET',
  '/v1/jobs/{id}/model',
  {
    operationId: 'downloadJobModel',
    summary: 'The trained model: tfjs .tar.gz (default) or torchvision safetensors',
    tags: ['models'],
    params: IdParams,
    querystring: ModelFormatQuerySchema,
    response: { 200: modelDownloads },
  },
  [...byId, 'job_not_finished', 'export_unsupported', 'storage_unavailable'],
);

export const exportJobCheckpointModel = keyOperation(
  'GET',
  '/v1/jobs/{id}/checkpoints/{epoch}/model',
  {
    operationId: 'exportJobCheckpointModel',
    summary: "One retained checkpoint's weights as a model: tfjs .tar.gz (default) or torchvision safetensors",
    tags: ['models'],
    params: CheckpointParams,
    querystring: ModelFormatQuerySchema,
    response: { 200: modelDownloads },
  },
  [...byId, 'export_unsupported', 'checkpoint_invalid', 'storage_unavailable'],
);

export const downloadJobModelFile = keyOperation(
  'GET',
  '/v1/jobs/{id}/model/{file}',
  {
    operationId: 'downloadJobModelFile',
    summary: 'One file of the trained model (model.json, weight shards, manifest.json) for tf.loadLayersModel',
    tags: ['models'],
    params: Type.Object({ ...IdParams.properties, file: Type.String({ maxLength: 200 }) }),
    response: {
      200: {
        description: 'The file: JSON for model.json and manifest.json, bytes for weight shards',
        headers: download,
        content: {
          'application/json': { schema: Type.Object({}, { additionalProperties: true }) },
          'application/octet-stream': { schema: Type.String({ format: 'binary' }) },
        },
      },
    },
  },
  [...byId, 'job_not_finished', 'storage_unavailable'],
);

export const cancelJob = keyOperation(
  'POST',
  '/v1/jobs/{id}/cancel',
  {
    operationId: 'cancelJob',
    summary: 'Cancel a job',
    description: 'A queued job is cancelled at once (200); a running one stops at its next batch (202, cancelRequested true).',
    tags: ['jobs'],
    params: IdParams,
    response: {
      200: json('Cancelled', JobViewSchema),
      202: json('Cancellation requested; the worker stops the job', JobViewSchema),
    },
  },
  [...byId, 'job_not_cancellable', 'invalid_json', 'unsupported_media_type', 'payload_too_large', 'control_character'],
);

export const deleteJob = keyOperation(
  'DELETE',
  '/v1/jobs/{id}',
  {
    operationId: 'deleteJob',
    summary: 'Delete a finished job',
    description:
      'Removes a succeeded, failed or cancelled job with its metrics, checkpoints and model. 409 job_not_deletable while it is queued or running, or while a queued or running job starts from its model.',
    tags: ['jobs'],
    params: IdParams,
    response: { 204: empty('Deleted') },
  },
  [...byId, 'job_not_deletable'],
);

export const JOB_OPERATIONS = {
  submitJob,
  listJobs,
  compareJobs,
  getJob,
  updateJob,
  getJobMetrics,
  getJobEvaluation,
  listJobCheckpoints,
  downloadJobCheckpoint,
  downloadJobModel,
  exportJobCheckpointModel,
  downloadJobModelFile,
  cancelJob,
  deleteJob,
};
