import { Redis } from 'ioredis';
import type { CancelMessage } from '@trainyard/contracts';
import type { QueueSettings } from './connection.js';
import type { JobEvent } from './job-events.js';
import { appendJobEvent, jobEventLogKey, parseLoggedJobEvent, readJobEvents, type LoggedJobEvent } from './job-event-log.js';
import {
  appendJobLog,
  jobLogKey,
  parseJobLogMessage,
  readJobLog,
  type JobLogLine,
  type JobLogMessage,
  type NewJobLogLine,
} from './job-log.js';
import { cancelChannel, jobEventsChannel, jobLogChannel } from './names.js';

type Handler = (message: string) => void;

/**
 * Redis pub/sub between API instances and workers: cancel requests (any API instance can cancel a job
 * running in any worker) and per-job events. Publishing and subscribing use separate connections
 * (a subscribed Redis connection can do nothing else); both are opened on first use, and ioredis
 * re-subscribes by itself after a reconnect.
 *
 * Pub/sub delivers only to whoever listens at that moment: callers that need certainty keep the
 * state in Postgres too (a cancelled job's row says so; workers check it on their heartbeat).
 */
export class JobChannels {
  private publisher: Redis | null = null;
  private subscriber: Redis | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();
  /** The SUBSCRIBE command of each channel, so a second subscriber waits for it too. */
  private readonly subscriptions = new Map<string, Promise<unknown>>();

  constructor(private readonly settings: QueueSettings) {}

  /** Returns how many subscribers received it (0 when no worker listens right now). */
  async publishCancel(jobId: string): Promise<number> {
    const message: CancelMessage = { jobId };
    return this.publish(cancelChannel(this.settings.prefix), JSON.stringify(message));
  }

  /** Calls `handler` with the id of every job someone asks to cancel; returns an unsubscribe function. */
  async onCancel(handler: (jobId: string) => void): Promise<() => Promise<void>> {
    return this.subscribe(cancelChannel(this.settings.prefix), (text) => {
      try {
        const message = JSON.parse(text) as Partial<CancelMessage>;
        if (typeof message.jobId === 'string') handler(message.jobId);
      } catch {
        // not ours: ignore
      }
    });
  }

  /** Appends the event to the job's event log (job-event-log.ts) and publishes it; returns its id. */
  async publishEvent(event: JobEvent): Promise<string> {
    const { prefix } = this.settings;
    return appendJobEvent(this.publisherConnection(), jobEventLogKey(prefix, event.jobId), jobEventsChannel(prefix, event.jobId), event);
  }

  async onJobEvents(jobId: string, handler: (event: JobEvent) => void): Promise<() => Promise<void>> {
    return this.onLoggedJobEvents(jobId, ({ event }) => handler(event));
  }

  /** Like onJobEvents, with each event's log id (what SSE sends as the event id). */
  async onLoggedJobEvents(jobId: string, handler: (logged: LoggedJobEvent) => void): Promise<() => Promise<void>> {
    return this.subscribe(jobEventsChannel(this.settings.prefix, jobId), (text) => {
      const logged = parseLoggedJobEvent(text);
      if (logged && logged.event.jobId === jobId) handler(logged);
    });
  }

  /** The job's logged events after `afterId` (all when null), oldest first. */
  async jobEventsSince(jobId: string, afterId: string | null): Promise<LoggedJobEvent[]> {
    return readJobEvents(this.publisherConnection(), jobEventLogKey(this.settings.prefix, jobId), afterId);
  }

  /** Appends lines to the job's live log (job-log.ts) and publishes them. */
  async appendLog(jobId: string, lines: readonly NewJobLogLine[]): Promise<void> {
    const { prefix } = this.settings;
    await appendJobLog(this.publisherConnection(), jobLogKey(prefix, jobId), jobLogChannel(prefix, jobId), lines);
  }

  /** Up to `count` lines of the live log after `afterId`; null when the job has no live log (never had, or stored). */
  async logSince(jobId: string, afterId: string | null, count: number): Promise<JobLogLine[] | null> {
    const redis = this.publisherConnection();
    const key = jobLogKey(this.settings.prefix, jobId);
    const [lines, exists] = await Promise.all([readJobLog(redis, key, afterId, count), redis.exists(key)]);
    return lines.length > 0 || exists === 1 ? lines : null;
  }

  /** The whole live log (what the worker stores when the job ends). */
  async wholeLog(jobId: string): Promise<JobLogLine[]> {
    return readJobLog(this.publisherConnection(), jobLogKey(this.settings.prefix, jobId), null, Number.MAX_SAFE_INTEGER);
  }

  /** The live log is stored now: delete it and tell followers to read the rest from storage. */
  async endLog(jobId: string): Promise<void> {
    const { prefix } = this.settings;
    const redis = this.publisherConnection();
    await redis.del(jobLogKey(prefix, jobId));
    await redis.publish(jobLogChannel(prefix, jobId), JSON.stringify({ end: true } satisfies JobLogMessage));
  }

  /** Deletes the live log without a word (the job is being deleted). */
  async deleteLog(jobId: string): Promise<void> {
    await this.publisherConnection().del(jobLogKey(this.settings.prefix, jobId));
  }

  /** Calls `handler` with the lines appended to the job's log, and once with `{ end: true }` when it is stored. */
  async onLog(jobId: string, handler: (message: JobLogMessage) => void): Promise<() => Promise<void>> {
    return this.subscribe(jobLogChannel(this.settings.prefix, jobId), (text) => {
      const message = parseJobLogMessage(text);
      if (message) handler(message);
    });
  }

  /** Throws unless Redis answers. */
  async check(): Promise<void> {
    await this.publisherConnection().ping();
  }

  async close(): Promise<void> {
    const connections = [this.publisher, this.subscriber].filter((c): c is Redis => c !== null);
    this.publisher = null;
    this.subscriber = null;
    this.handlers.clear();
    this.subscriptions.clear();
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private async publish(channel: string, message: string): Promise<number> {
    return this.publisherConnection().publish(channel, message);
  }

  private async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    const subscriber = this.subscriberConnection();
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      this.subscriptions.set(channel, subscriber.subscribe(channel));
    }
    set.add(handler);
    try {
      await this.subscriptions.get(channel);
    } catch (error) {
      set.delete(handler);
      throw error;
    }
    return async () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(channel);
      this.subscriptions.delete(channel);
      await this.subscriber?.unsubscribe(channel).catch(() => {});
    };
  }

  private publisherConnection(): Redis {
    if (!this.publisher) {
      this.publisher = new Redis(this.settings.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: false });
      this.publisher.on('error', () => {}); // reported through rejected calls; ioredis reconnects
    }
    return this.publisher;
  }

  private subscriberConnection(): Redis {
    if (!this.subscriber) {
      const subscriber = new Redis(this.settings.redisUrl, { maxRetriesPerRequest: null });
      subscriber.on('error', () => {});
      subscriber.on('message', (channel: string, message: string) => {
        for (const handler of this.handlers.get(channel) ?? []) {
          try {
            handler(message);
          } catch {
            // one handler's bug must not stop delivery to the others
          }
        }
      });
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }
}
