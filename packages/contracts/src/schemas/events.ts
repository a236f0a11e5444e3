/**
 * GET /v1/jobs/{id}/events: a job's status changes, phases, progress and epochs as Server-Sent
 * Events. Each event's `data` is one JSON object of JobEventSchema; its `event` field is the type.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IdParams, Timestamp, keyOperation, media } from './common.js';
import { EpochMetricsSchema, JobPhaseSchema, JobProgressSchema, JobStatusSchema } from './jobs.js';

const base = { jobId: Type.String(), at: Timestamp };

export const StatusEventSchema = Type.Object({
  type: Type.Literal('status'),
  ...base,
  status: JobStatusSchema,
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});
export const PhaseEventSchema = Type.Object({ type: Type.Literal('phase'), ...base, phase: JobPhaseSchema });
export const ProgressEventSchema = Type.Composite([
  Type.Object({ type: Type.Literal('progress'), ...base }),
  JobProgressSchema,
  Type.Object({
    loss: Type.Optional(Type.Number({ description: "The latest batch's training loss" })),
    accuracy: Type.Optional(Type.Number()),
    learningRate: Type.Optional(Type.Number()),
  }),
]);
/** An epoch's metrics as the worker announces them (GET /metrics adds imagesPerSecond). */
export const EpochEventSchema = Type.Composite([
  Type.Object({ type: Type.Literal('epoch'), ...base }),
  Type.Omit(EpochMetricsSchema, ['imagesPerSecond']),
]);
export const JobEventSchema = Type.Union([StatusEventSchema, PhaseEventSchema, ProgressEventSchema, EpochEventSchema], {
  title: 'JobEvent',
});
export type JobEvent = Static<typeof JobEventSchema>;
export type JobEventType = JobEvent['type'];
export const JOB_EVENT_TYPES: readonly JobEventType[] = ['status', 'phase', 'progress', 'epoch'];

export const streamJobEvents = keyOperation(
  'GET',
  '/v1/jobs/{id}/events',
  {
    operationId: 'streamJobEvents',
    summary: 'Live events of a job (Server-Sent Events)',
    description:
      'Events: `status` {status, error?}, `phase` {phase}, `progress` {epoch, epochs, step, steps, imagesPerSecond, etaSeconds, loss, accuracy, learningRate} ' +
      '(per batch, throttled), `epoch` {epoch, trainLoss, trainAccuracy, validationLoss, validationAccuracy, learningRate, seconds}; each `data` is one JSON object ' +
      'with `type`, `jobId` and `at`. Each event has an id; reconnect with Last-Event-ID to receive what you missed. Comments (": heartbeat") keep the connection open. ' +
      'The stream ends after the final status (succeeded, failed, cancelled).',
    tags: ['jobs'],
    params: IdParams,
    querystring: Type.Object(
      { lastEventId: Type.Optional(Type.String({ maxLength: 50, description: 'Same as the Last-Event-ID header' })) },
      { additionalProperties: false },
    ),
    headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 50 })) }),
    response: { 200: media('The event stream', 'text/event-stream', {}, Type.String({ description: 'Server-Sent Events' })) },
  },
  ['validation_failed', 'not_found', 'queue_unavailable', 'event_streams_limit'],
);
