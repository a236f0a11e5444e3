/**
 * GET /v1/jobs/{id}/events: the job's status changes, progress and per-epoch metrics as Server-Sent
 * Events (the work is in ../events/job-event-stream.ts); GET /v1/jobs/{id}/logs: the job's log lines,
 * a page of them or with follow=true a stream (../jobs/job-logs.ts, ../events/job-log-stream.ts). The
 * two kinds of stream share MAX_EVENT_STREAMS_PER_TENANT.
 *
 * Authentication is the usual bearer header: the dashboard and the CLI read the stream with fetch,
 * which can send it. A browser's EventSource cannot send headers; we do not accept the key in the
 * URL instead, because URLs end up in proxy logs, browser history and Referer headers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, DEFAULT_REDIS_URL, getJobLogs, streamJobEvents } from '@trainyard/contracts';
import { isEventId, JobChannels } from '@trainyard/queue';
import type { ApiDeps } from '../context.js';
import { TenantSlots } from '../tenant-slots.js';
import { findJob } from '../jobs/find-job.js';
import { JobEventStream } from '../events/job-event-stream.js';
import { JobLogStream } from '../events/job-log-stream.js';
import { DEFAULT_STREAM_OPTIONS, type SseStream, type SseStreamOptions } from '../events/sse-stream.js';
import { readJobLog } from '../jobs/job-logs.js';
import { routeOf, typed } from '../http/operation-route.js';

export async function eventRoutes(scope: FastifyInstance, deps: ApiDeps, options: Partial<SseStreamOptions> = {}): Promise<void> {
  const streamOptions = { ...DEFAULT_STREAM_OPTIONS, ...options };
  const channels = new JobChannels({ redisUrl: deps.config.redisUrl ?? DEFAULT_REDIS_URL, prefix: deps.config.queuePrefix });
  const open = new Set<SseStream>();
  /** Open streams per tenant in this process (MAX_EVENT_STREAMS_PER_TENANT). */
  const slots = new TenantSlots(
    deps.config.maxEventStreamsPerTenant,
    (limit) =>
      new ApiError(
        'event_streams_limit',
        `The tenant already has ${limit} open event streams; the limit is ${limit} (MAX_EVENT_STREAMS_PER_TENANT). Close some first.`,
        { limit, variable: 'MAX_EVENT_STREAMS_PER_TENANT', retryAfterSeconds: 5 },
      ),
  );
  // Open streams would hold the server's close up for as long as their jobs run.
  const app = typed(scope);
  app.addHook('preClose', async () => {
    await Promise.all([...open].map((stream) => stream.close()));
  });
  app.addHook('onClose', async () => channels.close());

  app.route({
    ...routeOf(streamJobEvents, scope),
    handler: async (request, reply) => {
      const job = await findJob(deps.db, request.tenant.id, request.params.id);
      const lastEventId = request.headers['last-event-id'] ?? request.query.lastEventId ?? null;
      if (lastEventId !== null && lastEventId !== '' && !isEventId(lastEventId)) {
        throw new ApiError('validation_failed', 'Last-Event-ID must be an id this stream sent, like "1700000000000-0".');
      }
      return openStream(request, reply, job.id, {
        what: 'event',
        unavailable: 'Live events are unavailable (Redis unreachable); poll GET /v1/jobs/{id} instead.',
        create: (onEnd) => new JobEventStream(job.id, channels, deps.db, lastEventId || null, streamOptions, onEnd),
      });
    },
  });

  app.route({
    ...routeOf(getJobLogs, scope),
    handler: async (request, reply) => {
      const job = await findJob(deps.db, request.tenant.id, request.params.id);
      const { follow = false, limit = 1000 } = request.query;
      const since = request.query.since ?? null;
      if (!follow) return readJobLog(channels, deps.storage, job.id, since, limit);
      const lastEventId = request.headers['last-event-id'] || null;
      if (lastEventId !== null && !isEventId(lastEventId)) {
        throw new ApiError('validation_failed', 'Last-Event-ID must be a line id this stream sent, like "1700000000000-0".');
      }
      return openStream(request, reply, job.id, {
        what: 'log',
        unavailable: 'Following the log is unavailable (Redis unreachable); read it without follow instead.',
        create: (onEnd) => new JobLogStream(job.id, channels, deps.storage, deps.db, lastEventId ?? since, streamOptions, onEnd),
      });
    },
  });

  /**
   * Opens a stream in one of the tenant's slots and sends it. The slot is freed when the stream ends,
   * also when it cannot open (close() is a no-op on a stream that already closed itself).
   */
  async function openStream(
    request: FastifyRequest,
    reply: FastifyReply,
    jobId: string,
    kind: { what: string; unavailable: string; create: (onEnd: (stream: SseStream) => void) => SseStream },
  ) {
    const release = slots.take(request.tenant.id);
    const stream = kind.create((ended) => {
      open.delete(ended);
      release();
    });
    try {
      await stream.open();
    } catch (error) {
      await stream.close();
      request.log.warn({ err: error, jobId }, `could not open the ${kind.what} stream`);
      throw new ApiError('queue_unavailable', kind.unavailable);
    }
    return sendStream(request, reply, stream, jobId);
  }

  function sendStream(request: FastifyRequest, reply: FastifyReply, stream: SseStream, jobId: string) {
    if (!stream.body.writableEnded) open.add(stream);
    reply.raw.once('close', () => void stream.close());
    stream.body.once('close', () => {
      if (!stream.dropped) return;
      request.log.warn({ jobId }, 'event stream dropped: the client does not read');
      reply.raw.destroy();
    });
    reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-store').header('x-accel-buffering', 'no'); // nginx: do not buffer the stream
    return reply.send(stream.body);
  }
}
