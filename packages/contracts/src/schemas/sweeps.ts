/**
 * /v1/sweeps: hyperparameter sweeps, whose trials are ordinary jobs (JobView.sweepId). The rules they
 * follow (planning, ASHA) are in ../sweep-search.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { JOB_STATUSES } from '../job-status.js';
import { buildJobSpecSchema, type JobSpec, type JobSpecLimits } from '../job-spec.js';
import {
  DEFAULT_GRACE_PERIOD,
  DEFAULT_REDUCTION_FACTOR,
  MAX_SWEEP_TRIALS,
  SWEEP_GOALS,
  SWEEP_METRICS,
  type ResolvedSearcher,
  type SearcherSpec,
  type SweepSpace,
  type TrialAssignment,
} from '../sweep-search.js';
import { BODY_ERRORS, Header, IdParams, Nullable, PageQuery, StringEnum, Timestamp, json, keyOperation } from './common.js';

export const SWEEP_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];

/** Why a succeeded job stopped before its last epoch (JobView.stopReason). */
export const STOP_REASONS = ['early_stopping', 'pruned'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

const ChoiceValueSchema = Type.Union([Type.String({ maxLength: 200 }), Type.Number(), Type.Boolean()]);
const Bound = Type.Number({ description: 'Inclusive' });

const SpaceParameterSchema = Type.Union(
  [
    Type.Object(
      { type: Type.Literal('choice'), values: Type.Array(ChoiceValueSchema, { minItems: 1, maxItems: 100 }) },
      { additionalProperties: false },
    ),
    Type.Object({ type: Type.Literal('uniform'), min: Bound, max: Bound }, { additionalProperties: false }),
    Type.Object(
      { type: Type.Literal('logUniform'), min: Type.Number({ exclusiveMinimum: 0 }), max: Type.Number({ exclusiveMinimum: 0 }) },
      { additionalProperties: false, description: 'Uniform in log space: for learning rates' },
    ),
    Type.Object({ type: Type.Literal('int'), min: Type.Integer(), max: Type.Integer() }, { additionalProperties: false }),
  ],
  { title: 'SpaceParameter' },
);

export const SweepSpaceSchema = Type.Unsafe<SweepSpace>({
  type: 'object',
  minProperties: 1,
  maxProperties: 20,
  additionalProperties: SpaceParameterSchema,
  description:
    'Dotted paths into the job spec (hyperparameters.learningRate, model.architecture...) to what each ranges over: ' +
    'choice (values), uniform, logUniform or int (min, max)',
});

const Trials = Type.Integer({ minimum: 1, maximum: MAX_SWEEP_TRIALS });
const Seed = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: 0, description: 'The same seed plans the same trials' });

export const SearcherSchema = Type.Unsafe<SearcherSpec>(
  Type.Union(
    [
      Type.Object({ type: Type.Literal('grid') }, { additionalProperties: false, description: 'Every combination of the choices' }),
      Type.Object({ type: Type.Literal('random'), trials: Trials, seed: Type.Optional(Seed) }, { additionalProperties: false }),
      Type.Object(
        {
          type: Type.Literal('asha'),
          trials: Trials,
          seed: Type.Optional(Seed),
          maxEpochs: Type.Integer({ minimum: 1, maximum: 1000, description: 'Every trial is planned with this many epochs' }),
          reductionFactor: Type.Optional(Type.Integer({ minimum: 2, maximum: 100, default: DEFAULT_REDUCTION_FACTOR })),
          gracePeriod: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_GRACE_PERIOD, description: 'Epochs before the first rung' }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Random trials, stopped at rungs (gracePeriod * reductionFactor^k epochs) unless in the top 1/reductionFactor of the trials that reached the rung so far',
        },
      ),
    ],
    { title: 'Searcher' },
  ),
);

export const SweepMetricSchema = StringEnum(SWEEP_METRICS, { description: 'A per-epoch metric of GET /v1/jobs/{id}/metrics' });
export const SweepGoalSchema = StringEnum(SWEEP_GOALS);

/** The body of POST /v1/sweeps with a deployment's limits on the base spec (MAX_EPOCHS...). */
export const sweepBodySchema = (limits?: JobSpecLimits) =>
  Type.Object(
    {
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      base: Type.Unsafe<JobSpec>({ ...buildJobSpecSchema(limits), description: 'The job spec every trial starts from' }),
      space: SweepSpaceSchema,
      searcher: SearcherSchema,
      metric: SweepMetricSchema,
      goal: Type.Optional(StringEnum(SWEEP_GOALS, { description: 'Default: minimize for a loss, maximize otherwise' })),
      maxConcurrentTrials: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 100, default: 1, description: 'Trials queued or running at once' }),
      ),
    },
    { additionalProperties: false },
  );
export const SweepBodySchema = sweepBodySchema();
export type SweepBody = Static<typeof SweepBodySchema>;

/** The sweep as stored: the request with its defaults filled in. */
export interface ResolvedSweepSpec {
  base: JobSpec;
  space: SweepSpace;
  searcher: ResolvedSearcher;
  metric: (typeof SWEEP_METRICS)[number];
  goal: (typeof SWEEP_GOALS)[number];
  maxConcurrentTrials: number;
}

const HyperparametersSchema = Type.Unsafe<TrialAssignment>({
  type: 'object',
  additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
  description: "The trial's values, by dotted path",
});

export const LeaderboardEntrySchema = Type.Object({
  trial: Type.Integer({ minimum: 0, description: "The trial's index in the plan" }),
  jobId: Type.String({ format: 'uuid' }),
  status: StringEnum(JOB_STATUSES),
  stopReason: Nullable(StringEnum(STOP_REASONS)),
  epochs: Type.Integer({ minimum: 0, description: 'Epochs it trained' }),
  metric: Nullable(Type.Number({ description: 'The sweep metric at its last epoch' })),
  prunedAtRung: Nullable(Type.Integer({ description: 'The rung (epochs) where ASHA stopped it' })),
  hyperparameters: HyperparametersSchema,
});
export type LeaderboardEntry = Static<typeof LeaderboardEntrySchema>;

const SweepFields = {
  id: Type.String({ format: 'uuid' }),
  name: Nullable(Type.String()),
  status: StringEnum(SWEEP_STATUSES),
  metric: SweepMetricSchema,
  goal: SweepGoalSchema,
  searcher: Type.Unsafe<ResolvedSearcher>({ ...SearcherSchema, description: 'With its defaults filled in' }),
  space: SweepSpaceSchema,
  base: Type.Unsafe<JobSpec>({ ...buildJobSpecSchema(), description: 'The job spec every trial starts from' }),
  maxConcurrentTrials: Type.Integer({ minimum: 1 }),
  trials: Type.Object({
    planned: Type.Integer({ minimum: 0 }),
    created: Type.Integer({ minimum: 0, description: 'Trials are created as they may start' }),
  }),
  best: Nullable(
    Type.Object({
      trial: Type.Integer({ minimum: 0 }),
      jobId: Type.String({ format: 'uuid' }),
      metric: Type.Number(),
      epochs: Type.Integer({ minimum: 0 }),
      hyperparameters: HyperparametersSchema,
    }),
    { description: 'The succeeded trial with the best metric at its last epoch' },
  ),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Nullable(Timestamp),
  links: Type.Object({ self: Type.String(), decisions: Type.String(), cancel: Type.String() }),
};

export const SweepSummarySchema = Type.Object(SweepFields, { title: 'SweepSummary' });
export type SweepSummary = Static<typeof SweepSummarySchema>;

export const SweepViewSchema = Type.Object(
  { ...SweepFields, leaderboard: Type.Array(LeaderboardEntrySchema, { description: 'Every trial created, best first' }) },
  { title: 'Sweep' },
);
export type SweepView = Static<typeof SweepViewSchema>;

export const SweepListSchema = Type.Object({ sweeps: Type.Array(SweepSummarySchema), nextCursor: Nullable(Type.String()) });
export type SweepList = Static<typeof SweepListSchema>;

export const ListSweepsQuerySchema = Type.Object(
  { status: Type.Optional(StringEnum(SWEEP_STATUSES)), ...PageQuery },
  { additionalProperties: false },
);
export type ListSweepsQuery = Static<typeof ListSweepsQuerySchema>;

export const SweepDecisionSchema = Type.Object({
  sequence: Type.Integer({ description: 'Decisions are numbered in the order they were made' }),
  jobId: Type.String({ format: 'uuid' }),
  trial: Type.Integer({ minimum: 0 }),
  rung: Type.Integer({ minimum: 1, description: 'Epochs the trial had trained' }),
  metric: Type.Number(),
  continues: Type.Boolean({ description: 'false: the trial was stopped here (pruned)' }),
  competitors: Type.Array(Type.Object({ jobId: Type.String({ format: 'uuid' }), trial: Type.Integer(), metric: Type.Number() }), {
    description: 'The trials that had reached this rung before, which the rule ranked it against',
  }),
  decidedAt: Timestamp,
});
export type SweepDecisionView = Static<typeof SweepDecisionSchema>;
export const SweepDecisionListSchema = Type.Object({ decisions: Type.Array(SweepDecisionSchema) });
export type SweepDecisionList = Static<typeof SweepDecisionListSchema>;

export const submitSweep = keyOperation(
  'POST',
  '/v1/sweeps',
  {
    operationId: 'submitSweep',
    summary: 'Start a hyperparameter sweep',
    description:
      'Plans every trial and checks each as POST /v1/jobs would; trials are then created as they may start, at most maxConcurrentTrials queued or running at once.',
    tags: ['sweeps'],
    body: SweepBodySchema,
    response: { 201: json('The running sweep', SweepViewSchema, { location: Header.location }) },
  },
  [
    ...BODY_ERRORS,
    'hyperparameter_limit',
    'unknown_architecture',
    'invalid_option',
    'not_found',
    'dataset_not_ready',
    'input_too_small',
    'input_too_large',
    'model_too_large',
    'fine_tune_source_invalid',
  ],
);

export const listSweeps = keyOperation(
  'GET',
  '/v1/sweeps',
  {
    operationId: 'listSweeps',
    summary: 'List sweeps, newest first',
    tags: ['sweeps'],
    querystring: ListSweepsQuerySchema,
    response: { 200: json('A page of sweeps', SweepListSchema) },
  },
  ['validation_failed'],
);

const byId = ['validation_failed', 'not_found'] as const;

export const getSweep = keyOperation(
  'GET',
  '/v1/sweeps/{id}',
  {
    operationId: 'getSweep',
    summary: 'One sweep: status, best trial, leaderboard',
    tags: ['sweeps'],
    params: IdParams,
    response: { 200: json('The sweep', SweepViewSchema) },
  },
  [...byId],
);

export const cancelSweep = keyOperation(
  'POST',
  '/v1/sweeps/{id}/cancel',
  {
    operationId: 'cancelSweep',
    summary: 'Cancel a sweep',
    description: 'No trial is created any more; queued trials are cancelled at once, running ones stop at their next batch.',
    tags: ['sweeps'],
    params: IdParams,
    response: { 200: json('Cancelled', SweepViewSchema) },
  },
  [...byId, 'sweep_not_cancellable', 'invalid_json', 'unsupported_media_type', 'payload_too_large', 'control_character'],
);

export const listSweepDecisions = keyOperation(
  'GET',
  '/v1/sweeps/{id}/decisions',
  {
    operationId: 'listSweepDecisions',
    summary: "The searcher's recorded decisions, in the order they were made",
    tags: ['sweeps'],
    params: IdParams,
    response: { 200: json('Every decision', SweepDecisionListSchema) },
  },
  [...byId],
);

export const SWEEP_OPERATIONS = { submitSweep, listSweeps, getSweep, cancelSweep, listSweepDecisions };
