/**
 * GET /v1/jobs/{id}/logs as a page: the job's live log in Redis while it has one, else the log its
 * worker stored in object storage when the job ended (packages/queue job-log.ts). A line's id is its
 * cursor in both.
 */
import { ApiError, type JobLogLine, type JobLogPage } from '@trainyard/contracts';
import { compareEventIds, parseJobLogFile, type JobChannels } from '@trainyard/queue';
import { isStorageError, jobKeys, type Storage } from '@trainyard/storage';
import { QUEUE_CALL_TIMEOUT_MS, withTimeout } from '../queue-adapter.js';

export type JobLogReader = Pick<JobChannels, 'logSince'>;

export async function readJobLog(
  channels: JobLogReader,
  storage: Storage,
  jobId: string,
  since: string | null,
  limit: number,
): Promise<JobLogPage> {
  const lines = await jobLogLinesSince(channels, storage, jobId, since, limit);
  return { lines, nextCursor: lines.at(-1)?.id ?? since };
}

/** Up to `limit` lines after `since`, from Redis or else storage; none when the job has logged nothing yet. */
export async function jobLogLinesSince(
  channels: JobLogReader,
  storage: Storage,
  jobId: string,
  since: string | null,
  limit: number,
): Promise<JobLogLine[]> {
  let redisError: unknown = null;
  try {
    const live = await withTimeout(channels.logSince(jobId, since, limit), QUEUE_CALL_TIMEOUT_MS, 'reading the job log');
    if (live !== null) return live;
  } catch (error) {
    redisError = error;
  }
  const stored = await storedJobLog(storage, jobId);
  if (stored === null && redisError !== null) {
    throw new ApiError('queue_unavailable', 'The live job log is unavailable (Redis unreachable); retry later.');
  }
  const after = stored ?? [];
  const start = since === null ? 0 : after.findIndex((line) => compareEventIds(line.id, since) > 0);
  return start < 0 ? [] : after.slice(start, start + limit);
}

/** The log stored when the job ended; null when there is none (yet). */
async function storedJobLog(storage: Storage, jobId: string): Promise<JobLogLine[] | null> {
  try {
    return parseJobLogFile(Buffer.from(await storage.getBytes(jobKeys(jobId).logs)).toString('utf8'));
  } catch (error) {
    if (isStorageError(error, 'storage_not_found')) return null;
    throw error;
  }
}
