/**
 * What the two Server-Sent Events streams share (job-event-stream.ts: a job's events, job-log-stream.ts:
 * its log lines): the response body and the SSE wire format; closing once (timers, subscription, body,
 * then the owner's onEnd); and dropping a client that does not read. A client is dropped when its unsent
 * bytes pass the stream's allowance, or when it was behind at two heartbeats in a row (it read nothing
 * for a whole interval while events waited), so a client that never reads cannot make the API hold its
 * events. Each stream owns what it sends and how it notices that the job finished.
 */
import { PassThrough } from 'node:stream';

export interface SseStreamOptions {
  /** A comment line this often keeps proxies from closing an idle connection. */
  heartbeatMs: number;
  /** How often Postgres is asked whether the job finished behind pub/sub's back. */
  statusCheckMs: number;
  /** What the browser waits before reconnecting (the SSE `retry` field). */
  retryMs: number;
}

export const DEFAULT_STREAM_OPTIONS: SseStreamOptions = { heartbeatMs: 15_000, statusCheckMs: 15_000, retryMs: 2_000 };

/** Unsent bytes one stream may hold before its client is dropped. */
export const MAX_BUFFERED_BYTES = 256 * 1024;

/** One SSE message. Data is one JSON line, so it never needs splitting over several `data:` lines. */
export function formatSse(message: { id?: string; event?: string; data: unknown }): string {
  let text = '';
  if (message.id !== undefined) text += `id: ${message.id}\n`;
  if (message.event !== undefined) text += `event: ${message.event}\n`;
  return `${text}data: ${JSON.stringify(message.data)}\n\n`;
}

export abstract class SseStream {
  /** The response body: Fastify pipes it to the client. */
  readonly body = new PassThrough();
  protected ended = false;
  /** Drops the stream's Redis subscription; set by the stream once it subscribed. */
  protected unsubscribe: (() => Promise<void>) | null = null;
  /** Unsent bytes allowed before the client is dropped (checked on each write). */
  protected allowance = Infinity;
  private timers: NodeJS.Timeout[] = [];
  /** Whether the client was behind at the previous heartbeat. */
  private behindAtLastHeartbeat = false;
  /** Set when the stream was ended because the client did not read. */
  dropped = false;

  protected constructor(
    protected readonly options: SseStreamOptions,
    private readonly onEnd: (stream: SseStream) => void,
  ) {}

  /** Subscribes and writes what the client missed; rejects when it cannot start (Redis or the database away). */
  abstract open(): Promise<void>;

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

  /** Once the stream is live: the heartbeat, and the periodic check whether the job finished. */
  protected startTimers(checkFinished: () => Promise<void>): void {
    this.timers.push(setInterval(() => this.heartbeat(), this.options.heartbeatMs));
    this.timers.push(setInterval(() => void checkFinished(), this.options.statusCheckMs));
  }

  /** Writes unless ended; a skippable message is left out while the client is behind. */
  protected write(text: string, skippable = false): void {
    if (this.ended || this.body.writableEnded) return;
    if (skippable && this.body.writableNeedDrain) return;
    this.body.write(text);
    if (this.body.writableLength > this.allowance) this.drop();
  }

  /** The client does not read: end the stream and let go of what it holds. */
  protected drop(): void {
    if (this.ended) return;
    this.dropped = true;
    void this.close();
    this.body.destroy();
  }

  private heartbeat(): void {
    const behind = this.body.writableNeedDrain;
    if (behind && this.behindAtLastHeartbeat) return this.drop();
    this.behindAtLastHeartbeat = behind;
    this.write(': heartbeat\n\n');
  }
}
