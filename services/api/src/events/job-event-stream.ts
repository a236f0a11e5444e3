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
import { PassThrough } from 'node:stream';
import { FINISHED_STATUSES, type JobStatus } from '@trainyard/contracts';
import { compareEventIds, type JobChannels, type JobEvent, type LoggedJobEvent } from '@trainyard/queue';
import type { Database } from '@trainyard/db';

export interface JobEventStreamOptions {
  /** A comment line this often keeps proxies from closing an idle connection. */
  heartbeatMs: number;
  /** How often Postgres is asked whether the job finished behind pub/sub's back. */
  statusCheckMs: number;
  /** What the browser waits before reconnecting (the SSE `retry` field). */
  retryMs: number;
}

export const DEFAULT_STREAM_OPTIONS: JobEventStreamOptions = { heartbeatMs: 15_000, statusCheckMs: 15_000, retryMs: 2_000 };

/** Unsent bytes one stream may hold before its client is dropped. */
export const MAX_BUFFERED_BYTES = 256 * 1024;

/** One SSE message. Data is one JSON line, so it never needs splitting over several `data:` lines. */
export function formatSse(message: { id?: string; event?: string; data: unknown }): string {
  let text = '';
  if (message.id !== undefined) text += `id: ${message.id}\n`;
  if (message.event !== undefined) text += `event: ${message.event}\n`;
  return `${text}data: ${JSON.stringify(message.data)}\n\n`;
}

function isFinal(event: JobEvent): boolean {
  return event.type === 'status' && FINISHED_STATUSES.includes(event.status);
}

export class JobEventStream {
  /** The response body: Fastify pipes it to the client. */
  readonly body = new PassThrough();
  private lastId: string | null;
  private held: LoggedJobEvent[] | null = [];
  private ended = false;
  private unsubscribe: (() => Promise<void>) | null = null;
  private timers: NodeJS.Timeout[] = [];
  private checking = false;
  /** Unsent bytes allowed before the client is dropped: MAX_BUFFERED_BYTES more than the replay. */
  private allowance = Infinity;
  /** Whether the client was behind at the previous heartbeat. */
  private behindAtLastHeartbeat = false;
  /** Set when the stream was ended because the client did not read. */
  dropped = false;

  constructor(
    private readonly jobId: string,
    private readonly channels: JobChannels,
    private readonly db: Database,
    lastEventId: string | null,
    private readonly options: JobEventStreamOptions,
    private readonly onEnd: (stream: JobEventStream) => void,
  ) {
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
    this.timers.push(setInterval(() => this.heartbeat(), this.options.heartbeatMs));
    this.timers.push(setInterval(() => void this.checkFinished(), this.options.statusCheckMs));
  }

  /** Ends the stream and drops the subscription (client gone, job finished, server closing). */
  async close(): Promise<void> {
    if (this.ended && this.unsubscribe === null) return;
    this.ended = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    if (!this.body.writableEnded) this.body.end();
    this.onEnd(this);
    await unsubscribe?.().catch(() => {});
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

  private heartbeat(): void {
    const behind = this.body.writableNeedDrain;
    if (behind && this.behindAtLastHeartbeat) return this.drop();
    this.behindAtLastHeartbeat = behind;
    this.write(': heartbeat\n\n');
  }

  private write(text: string, skippable = false): void {
    if (this.ended || this.body.writableEnded) return;
    if (skippable && this.body.writableNeedDrain) return;
    this.body.write(text);
    if (this.body.writableLength > this.allowance) this.drop();
  }

  /** The client does not read: end the stream and let go of what it holds. */
  private drop(): void {
    if (this.ended) return;
    this.dropped = true;
    void this.close();
    this.body.destroy();
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
