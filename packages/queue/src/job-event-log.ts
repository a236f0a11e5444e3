import type { Redis } from 'ioredis';
import { parseJobEvent, type JobEvent } from './job-events.js';

/**
 * Every job event is also appended to a bounded Redis stream per job, `<prefix>:event-log:<jobId>`,
 * so that a client that reconnects (SSE Last-Event-ID) can be sent what it missed: the stream entry's
 * id is the event's id. Appending and publishing happen in one script, so no listener can receive an
 * event that a replay would not also find, and ids arrive in increasing order.
 */
export interface LoggedJobEvent {
  /** The Redis stream id, "<milliseconds>-<sequence>": increasing, comparable with compareEventIds. */
  id: string;
  event: JobEvent;
}

export interface EventLogLimits {
  /** Entries kept per job (approximately: Redis trims whole nodes). */
  maxEntries: number;
  /** A job's log expires this long after its last event. */
  ttlSeconds: number;
}

export const DEFAULT_EVENT_LOG_LIMITS: EventLogLimits = { maxEntries: 2_000, ttlSeconds: 24 * 3600 };

export function jobEventLogKey(prefix: string, jobId: string): string {
  return `${prefix}:event-log:${jobId}`;
}

// KEYS[1] the stream; ARGV: max entries, event JSON, ttl seconds, channel. The message published is the
// event JSON with "eventId" spliced in first (the JSON always starts with "{").
const APPEND_SCRIPT = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], '{"eventId":"' .. id .. '",' .. string.sub(ARGV[2], 2))
return id
`;

/** Appends the event to its job's log and publishes it on `channel`; returns its id. */
export async function appendJobEvent(
  redis: Redis,
  key: string,
  channel: string,
  event: JobEvent,
  limits: EventLogLimits = DEFAULT_EVENT_LOG_LIMITS,
): Promise<string> {
  const json = JSON.stringify(event);
  return (await redis.eval(APPEND_SCRIPT, 1, key, limits.maxEntries, json, limits.ttlSeconds, channel)) as string;
}

/** The logged events after `afterId` (exclusive), or all of them when it is null, oldest first. */
export async function readJobEvents(redis: Redis, key: string, afterId: string | null, count = 10_000): Promise<LoggedJobEvent[]> {
  const start = afterId === null ? '-' : `(${afterId}`;
  const entries = (await redis.xrange(key, start, '+', 'COUNT', count)) as Array<[string, string[]]>;
  const logged: LoggedJobEvent[] = [];
  for (const [id, fields] of entries) {
    const at = fields.indexOf('event');
    const event = at >= 0 ? parseJobEvent(fields[at + 1] ?? '') : null;
    if (event) logged.push({ id, event });
  }
  return logged;
}

/** A published message back into its id and event; null for anything else. */
export function parseLoggedJobEvent(text: string): LoggedJobEvent | null {
  const event = parseJobEvent(text) as (JobEvent & { eventId?: unknown }) | null;
  if (!event || typeof event.eventId !== 'string' || !isEventId(event.eventId)) return null;
  const { eventId, ...rest } = event;
  return { id: eventId, event: rest as JobEvent };
}

const EVENT_ID = /^\d{1,20}-\d{1,20}$/;

/** True for a stream id ("1700000000000-0"): what a client may send back as Last-Event-ID. */
export function isEventId(value: string): boolean {
  return EVENT_ID.test(value);
}

/** Orders two stream ids: negative when a comes first. */
export function compareEventIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bMs, bSeq] = b.split('-').map(BigInt) as [bigint, bigint];
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}
