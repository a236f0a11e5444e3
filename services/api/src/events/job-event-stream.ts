/**
 * One client's live stream of a job's events (GET /v1/jobs/{id}/events), as Server-Sent Events.
 *
 * Workers append every event to a bounded Redis stream per job and publish it in the same script
 * (packages/queue job-event-log.ts), so any API instance can serve any job. A connection:
 *   1. subscribes to the job's channel, holding live events back;
 *   2. replays the log after the client's Last-Event-ID (the whole log on a first connection);
 *   3. releases the held-back events it has not sent yet, then forwards live ones as they come.
 * Event ids are the stream ids, so a reconnecting client misses nothing the log still holds.
 *
 * The stream ends after the job's final status event. Postgres is the record: a job that is already
 * finished, or whose final event pub/sub lost (Redis restarted), is noticed on the periodic check and
 * answered with a `status` event built from its row (no id: it is not in the log).
 *
 * Backpressure: while the client is behind (the socket's buffer is full), `progress` events are
 * skipped (the next one supersedes them; the log keeps them for a reconnect). A client whose unsent
 * bytes pass MAX_BUFFERED_BYTES beyond its replay (the log is bounded), or that has read nothing for
 * a whole heartbeat interval while events wait, is dropped, so a client that never reads cannot make
 * the API hold its events.
 */
import { FINISHED_STATUSES, type JobStatus } from '@trainyard/contracts';
import { compareEventIds, type JobChannels, type JobEvent, type LoggedJobEvent } from '@trainyard/queue';
import type { Database } from '@trainyard/db';
import { formatSse, MAX_BUFFERED_BYTES, SseStream, type SseStreamOptions } from './sse-stream.js';

function isFinal(event: JobEvent): boolean {
  return event.type === 'status' && FINISHED_STATUSES.includes(event.status);
}

export class JobEventStream extends SseStream {
  private lastId: string | null;
  private held: LoggedJobEvent[] | null = [];
  private checking = false;

  constructor(
    private readonly jobId: string,
    private readonly channels: JobChannels,
    private readonly db: Database,
    lastEventId: string | null,
    options: SseStreamOptions,
    onEnd: (stream: SseStream) => void,
  ) {
    super(options, onEnd);
    this.lastId = lastEventId;
  }

  /** Subscribes and replays; throws (before anything is written) when Redis cannot be reached. */
  async open(): Promise<void> {
    this.unsubscribe = await this.channels.onLoggedJobEvents(this.jobId, (logged) => this.receive(logged));
    try {
      const status = await this.jobStatus();
      const replay = await this.channels.jobEventsSince(this.jobId, this.lastId);
      this.write(`retry: ${this.options.retryMs}\n: connected\n\n`);
      this.allowance = Infinity; // the replay is bounded by the log's length
      for (const logged of replay) this.send(logged);
      this.allowance = MAX_BUFFERED_BYTES + this.body.writableLength;
      const held = this.held ?? [];
      this.held = null;
      for (const logged of held) this.send(logged);
      if (!this.ended && status !== null && FINISHED_STATUSES.includes(status)) await this.finishFromDatabase();
    } catch (error) {
      await this.close();
      throw error;
    }
    if (this.ended) return;
    this.startTimers(() => this.checkFinished());
  }

  private receive(logged: LoggedJobEvent): void {
    if (this.held) this.held.push(logged);
    else this.send(logged);
  }

  private send(logged: LoggedJobEvent): void {
    if (this.ended) return;
    // Replay and live delivery overlap while a connection opens: never send an id twice or backwards.
    if (this.lastId !== null && compareEventIds(logged.id, this.lastId) <= 0) return;
    this.lastId = logged.id;
    this.write(formatSse({ id: logged.id, event: logged.event.type, data: logged.event }), logged.event.type === 'progress');
    if (isFinal(logged.event)) void this.close();
  }

  private async jobStatus(): Promise<JobStatus | null> {
    const job = await this.db.jobs.get(this.jobId);
    return job?.status ?? null;
  }

  private async checkFinished(): Promise<void> {
    if (this.checking || this.ended) return;
    this.checking = true;
    try {
      const status = await this.jobStatus();
      if (status === null || !FINISHED_STATUSES.includes(status)) return;
      for (const logged of await this.channels.jobEventsSince(this.jobId, this.lastId)) this.send(logged);
      if (!this.ended) await this.finishFromDatabase();
    } catch {
      // Postgres or Redis briefly away: the next check tries again.
    } finally {
      this.checking = false;
    }
  }

  /** The final status from the job's row, when the log did not carry it (expired, or lost by pub/sub). */
  private async finishFromDatabase(): Promise<void> {
    const job = await this.db.jobs.get(this.jobId);
    if (job) {
      const event: JobEvent = {
        type: 'status',
        jobId: job.id,
        at: (job.finishedAt ?? job.updatedAt).toISOString(),
        status: job.status,
        ...(job.errorCode ? { error: { code: job.errorCode, message: job.errorMessage ?? '' } } : {}),
      };
      this.write(formatSse({ event: 'status', data: event }));
    }
    await this.close();
  }
}
