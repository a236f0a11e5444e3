/**
 * GET /v1/jobs/{id}/logs: what the job's training process said (engine and device, data loading,
 * warnings, progress summaries, the full error of a failure), secrets redacted. The last
 * JOB_LOG_MAX_LINES lines are kept: in Redis while the job runs, in object storage once it ends.
 * A page of lines as JSON, or with follow=true the same lines as Server-Sent Events until the job ends.
 */
import { Type, type Static } from '@sinclair/typebox';
import { IdParams, Nullable, StringEnum, Timestamp, keyOperation } from './common.js';
import { JobStatusSchema } from './jobs.js';

/** Lines kept per job; older ones are dropped as new ones come. */
export const JOB_LOG_MAX_LINES = 10_000;
export const JOB_LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type JobLogLevel = (typeof JOB_LOG_LEVELS)[number];

/** A cursor is a line's id: "<milliseconds>-<sequence>", increasing. */
export const JOB_LOG_CURSOR_PATTERN = '^\\d{1,20}-\\d{1,20}$';

export const JobLogLineSchema = Type.Object(
  {
    id: Type.String({ pattern: JOB_LOG_CURSOR_PATTERN, description: 'Increasing; pass it as `since` to read the lines after it' }),
    time: Timestamp,
    level: StringEnum(JOB_LOG_LEVELS),
    message: Type.String(),
  },
  { title: 'JobLogLine' },
);
export type JobLogLine = Static<typeof JobLogLineSchema>;

/** The data of the `end` event that closes a followed log: the job and how it ended. */
export const JobLogEndSchema = Type.Object({ jobId: Type.String(), status: Nullable(JobStatusSchema) }, { title: 'JobLogEnd' });
export type JobLogEnd = Static<typeof JobLogEndSchema>;

export const JobLogPageSchema = Type.Object(
  {
    lines: Type.Array(JobLogLineSchema),
    nextCursor: Nullable(Type.String({ pattern: JOB_LOG_CURSOR_PATTERN }), {
      description:
        'Pass as `since` for the lines after these (the id of the last line, or `since` when there was none); null when the log is empty',
    }),
  },
  { title: 'JobLogPage' },
);
export type JobLogPage = Static<typeof JobLogPageSchema>;

export const getJobLogs = keyOperation(
  'GET',
  '/v1/jobs/{id}/logs',
  {
    operationId: 'getJobLogs',
    summary: "The job's log lines, or a live stream of them (follow=true)",
    description:
      'Lines of the training process, oldest first: the engine and device, data loading, warnings, a progress summary every few seconds and each epoch, ' +
      `and the full error of a failure. Secrets are redacted. The last ${JOB_LOG_MAX_LINES} lines are kept until the job is deleted. ` +
      'With `follow=true` the answer is Server-Sent Events: each `line` event carries one line as JSON with the line id as event id ' +
      '(reconnect with Last-Event-ID, or since=, to resume); the stream ends with an `end` event once the job has finished and its last line was sent. ' +
      'A follow counts against MAX_EVENT_STREAMS_PER_TENANT like /events.',
    tags: ['jobs'],
    params: IdParams,
    querystring: Type.Object(
      {
        since: Type.Optional(
          Type.String({
            pattern: JOB_LOG_CURSOR_PATTERN,
            maxLength: 50,
            description: 'Only lines after this one (nextCursor, or a line id)',
          }),
        ),
        limit: Type.Optional(
          Type.Integer({ minimum: 1, maximum: JOB_LOG_MAX_LINES, default: 1000, description: 'Lines per page (not with follow)' }),
        ),
        follow: Type.Optional(Type.Boolean({ default: false, description: 'Stream the lines as Server-Sent Events until the job ends' })),
      },
      { additionalProperties: false },
    ),
    headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 50 })) }),
    response: {
      200: {
        description: 'A page of lines (JSON), or with follow=true a stream of `line` events and a final `end` event',
        headers: {},
        content: {
          'application/json': { schema: JobLogPageSchema },
          'text/event-stream': { schema: Type.String({ description: 'Server-Sent Events' }) },
        },
      },
    },
  },
  ['validation_failed', 'not_found', 'queue_unavailable', 'storage_unavailable', 'event_streams_limit'],
);
