/**
 * GET /v1/jobs/{id}/logs?follow=true: a job's log lines as Server-Sent Events until the job ends.
 *
 * Like the event stream (job-event-stream.ts), a connection subscribes to the job's log channel first,
 * holding live lines back, then sends what the log already holds after the client's cursor (Redis
 * while the job runs, object storage once it ended), then the held and live lines; ids never go
 * backwards or repeat. It ends with an `end` event once the worker says the log is stored (the `end`
 * message on the channel), or when the periodic check finds the job finished and its live log gone,
 * or finished long ago with a live log its worker never stored (the worker died).
 *
 * The catch-up waits for the client to read (page by page); a client that falls MAX_BUFFERED_BYTES
 * behind on live lines, or reads nothing for a heartbeat interval while lines wait, is dropped.
 */
import { once } from 'node:events';
import { FINISHED_STATUSES, type JobLogEnd, type JobLogLine } from '@trainyard/contracts';
import type { Database } from '@trainyard/db';
import { compareEventIds, type JobChannels, type JobLogMessage } from '@trainyard/queue';
import type { Storage } from '@trainyard/storage';
import { jobLogLinesSince } from '../jobs/job-logs.js';
import { formatSse, MAX_BUFFERED_BYTES, SseStream, type SseStreamOptions } from './sse-stream.js';

const CATCH_UP_PAGE = 1000;
/** A finished job whose live log is still in Redis this long after it finished lost its worker before it stored the log. */
const UNSTORED_LOG_GRACE_MS = 60_000;

export class JobLogStream extends SseStream {
  private held: JobLogMessage[] | null = [];
  private finishing = false;
  private checking = false;

  constructor(
    private readonly jobId: string,
    private readonly channels: Pick<JobChannels, 'onLog' | 'logSince'>,
    private readonly storage: Storage,
    private readonly db: Database,
    private lastId: string | null,
    options: SseStreamOptions,
    onEnd: (stream: SseStream) => void,
  ) {
    super(options, onEnd);
  }

  /**
   * Subscribes (throws when Redis cannot be reached, before anything is written), then catches up in
   * the background: the caller sends the body as soon as this resolves, so the catch-up can wait for
   * the client to read.
   */
  async open(): Promise<void> {
    this.unsubscribe = await this.channels.onLog(this.jobId, (message) => this.receive(message));
    this.write(`retry: ${this.options.retryMs}\n: connected\n\n`);
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      await this.catchUp();
      const held = this.held ?? [];
      this.held = null;
      for (const message of held) this.receive(message);
      if (!this.ended) await this.checkFinished();
    } catch {
      // Redis and storage both away, or the client stopped reading: it reconnects with its last id.
      return this.drop();
    }
    if (this.ended) return;
    this.startTimers(() => this.checkFinished());
  }

  private receive(message: JobLogMessage): void {
    if (this.held) {
      this.held.push(message);
      return;
    }
    if ('end' in message) void this.finish();
    else for (const line of message.lines) this.send(line);
  }

  /** Everything the log holds after the last line sent, page by page, waiting for the client to read each. */
  private async catchUp(): Promise<void> {
    for (;;) {
      const lines = await jobLogLinesSince(this.channels, this.storage, this.jobId, this.lastId, CATCH_UP_PAGE);
      for (const line of lines) this.send(line);
      if (lines.length < CATCH_UP_PAGE || this.ended) return;
      if (this.body.writableNeedDrain) await once(this.body, 'drain', { signal: AbortSignal.timeout(2 * this.options.heartbeatMs) });
    }
  }

  private send(line: JobLogLine): void {
    if (this.ended) return;
    if (this.lastId !== null && compareEventIds(line.id, this.lastId) <= 0) return;
    this.lastId = line.id;
    this.write(formatSse({ id: line.id, event: 'line', data: line }));
    if (this.held === null && this.body.writableLength > MAX_BUFFERED_BYTES) this.drop();
  }

  /** The log is complete: send what is left of it (now in storage), then `end`. */
  private async finish(): Promise<void> {
    if (this.finishing || this.ended) return;
    this.finishing = true;
    try {
      await this.catchUp();
      const job = await this.db.jobs.get(this.jobId);
      this.write(formatSse({ event: 'end', data: { jobId: this.jobId, status: job?.status ?? null } satisfies JobLogEnd }));
    } catch {
      // Storage or Postgres away at the last moment: the client reconnects with its last id.
    }
    await this.close();
  }

  private async checkFinished(): Promise<void> {
    if (this.checking || this.ended || this.finishing) return;
    this.checking = true;
    try {
      const job = await this.db.jobs.get(this.jobId);
      if (job === null) return void (await this.close());
      if (!FINISHED_STATUSES.includes(job.status)) return;
      const live = await this.channels.logSince(this.jobId, this.lastId, 1);
      const finishedAgo = Date.now() - (job.finishedAt ?? job.updatedAt).getTime();
      if (live === null || finishedAgo > UNSTORED_LOG_GRACE_MS) await this.finish();
    } catch {
      // Postgres or Redis briefly away: the next check tries again.
    } finally {
      this.checking = false;
    }
  }
}
