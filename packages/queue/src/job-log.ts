import type { Redis } from 'ioredis';
import { JOB_LOG_LEVELS, JOB_LOG_MAX_LINES, type JobLogLevel, type JobLogLine } from '@trainyard/contracts';

/**
 * A job's log while it runs: a Redis stream per job, `<prefix>:job-log:<jobId>`, capped at
 * JOB_LOG_MAX_LINES entries, whose ids are the lines' ids (cursors). Appending publishes the new lines
 * on `<prefix>:job-log-lines:<jobId>` in the same script, so a follower that subscribed before it
 * replayed the stream misses nothing. When the job ends the worker copies the stream to object storage
 * (formatJobLogFile), deletes it and publishes `{"end":true}`: a reader that finds no stream reads the
 * stored file instead.
 */
export type { JobLogLine };
export type NewJobLogLine = Omit<JobLogLine, 'id'>;

/** What the channel carries: new lines, or the end of the live log (it is in storage from now on). */
export type JobLogMessage = { lines: JobLogLine[] } | { end: true };

/** A live log whose worker vanished before storing it expires this long after its last line. */
export const JOB_LOG_TTL_SECONDS = 7 * 24 * 3600;

export function jobLogKey(prefix: string, jobId: string): string {
  return `${prefix}:job-log:${jobId}`;
}

// KEYS[1] the stream; ARGV: max lines, ttl seconds, channel, then one JSON object per line (starting
// with "{"). Published: {"lines":[ each line with "id" spliced in first ]}.
const APPEND_SCRIPT = `
local published = {}
for i = 4, #ARGV do
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'line', ARGV[i])
  published[#published + 1] = '{"id":"' .. id .. '",' .. string.sub(ARGV[i], 2)
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], '{"lines":[' .. table.concat(published, ',') .. ']}')
return #published
`;

export async function appendJobLog(redis: Redis, key: string, channel: string, lines: readonly NewJobLogLine[]): Promise<void> {
  if (lines.length === 0) return;
  const json = lines.map(({ time, level, message }) => JSON.stringify({ time, level, message }));
  await redis.eval(APPEND_SCRIPT, 1, key, JOB_LOG_MAX_LINES, JOB_LOG_TTL_SECONDS, channel, ...json);
}

/** Up to `count` lines after `afterId` (exclusive; from the first when null), oldest first. */
export async function readJobLog(redis: Redis, key: string, afterId: string | null, count: number): Promise<JobLogLine[]> {
  const start = afterId === null ? '-' : `(${afterId}`;
  const entries = (await redis.xrange(key, start, '+', 'COUNT', count)) as Array<[string, string[]]>;
  const lines: JobLogLine[] = [];
  for (const [id, fields] of entries) {
    const at = fields.indexOf('line');
    const line = at >= 0 ? parseLine({ id, ...safeParse(fields[at + 1] ?? '') }) : null;
    if (line) lines.push(line);
  }
  return lines;
}

/** A channel message back into lines or the end; null for anything else. */
export function parseJobLogMessage(text: string): JobLogMessage | null {
  const value = safeParse(text);
  if (value.end === true) return { end: true };
  if (!Array.isArray(value.lines)) return null;
  return { lines: value.lines.map((line) => parseLine(line)).filter((line): line is JobLogLine => line !== null) };
}

/** The stored form of a finished job's log: one JSON line per log line. */
export function formatJobLogFile(lines: readonly JobLogLine[]): string {
  return lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}

export function parseJobLogFile(text: string): JobLogLine[] {
  const lines: JobLogLine[] = [];
  for (const row of text.split('\n')) {
    const line = row === '' ? null : parseLine(safeParse(row));
    if (line) lines.push(line);
  }
  return lines;
}

function safeParse(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const LEVELS: readonly string[] = JOB_LOG_LEVELS;

function parseLine(value: unknown): JobLogLine | null {
  const { id, time, level, message } = (value ?? {}) as Record<string, unknown>;
  if (typeof id !== 'string' || typeof time !== 'string' || typeof message !== 'string') return null;
  if (typeof level !== 'string' || !LEVELS.includes(level)) return null;
  return { id, time, level: level as JobLogLevel, message };
}
