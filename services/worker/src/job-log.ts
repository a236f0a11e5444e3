/**
 * The log of one job as its users read it (GET /v1/jobs/{id}/logs): what its training process said,
 * and how the worker ended it. Lines are redacted here (the one place they enter), batched, and
 * appended to the job's live log in Redis; when the job has ended they are copied to object storage
 * and the live log is dropped (packages/queue job-log.ts). Writing never throws and never waits: a log
 * must not fail or slow a job, so lines Redis cannot take are dropped (and the drop is logged).
 */
import { JOB_LOG_MAX_LINES, redactSecrets, type JobLogLevel } from '@trainyard/contracts';
import { formatJobLogFile, type JobChannels, type NewJobLogLine } from '@trainyard/queue';
import { jobKeys, type Storage } from '@trainyard/storage';
import type { Logger } from './logger.js';

/** A line longer than this is cut (a full error with its stack stays whole). */
const MAX_MESSAGE_CHARS = 16 * 1024;
/** Lines wait this long for others to share their Redis round trip. */
const FLUSH_DELAY_MS = 100;

type JobLogChannels = Pick<JobChannels, 'appendLog' | 'wholeLog' | 'endLog'>;

/** Opens each job's log with the deployment's secrets (secretsFromEnv) and where logs go. */
export class JobLogs {
  constructor(
    private readonly channels: JobLogChannels,
    private readonly storage: Pick<Storage, 'put'>,
    private readonly secrets: readonly string[],
    private readonly logger: Logger,
  ) {}

  open(jobId: string): JobLog {
    return new JobLog(jobId, this.channels, this.storage, this.secrets, this.logger.child({ jobId }));
  }
}

export class JobLog {
  private pending: NewJobLogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private dropped = 0;

  constructor(
    readonly jobId: string,
    private readonly channels: JobLogChannels,
    private readonly storage: Pick<Storage, 'put'>,
    private readonly secrets: readonly string[],
    private readonly logger: Logger,
  ) {}

  info(message: string): void {
    this.write('info', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  write(level: JobLogLevel, message: string, time = new Date()): void {
    let text = redactSecrets(message, this.secrets);
    if (text.length > MAX_MESSAGE_CHARS) text = `${text.slice(0, MAX_MESSAGE_CHARS)} [${text.length - MAX_MESSAGE_CHARS} characters cut]`;
    this.pending.push({ time: time.toISOString(), level, message: text });
    // Redis keeps the last JOB_LOG_MAX_LINES anyway; while it is away, so does this buffer.
    if (this.pending.length > JOB_LOG_MAX_LINES) this.pending.splice(0, this.pending.length - JOB_LOG_MAX_LINES);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  /** Sends what is pending; resolves when every line written so far is in Redis (or dropped). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const lines = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (lines.length === 0) return;
      try {
        await this.channels.appendLog(this.jobId, lines);
      } catch (error) {
        this.dropped += lines.length;
        this.logger.warn({ err: error, lines: lines.length, dropped: this.dropped }, "could not append to the job's log; lines dropped");
      }
    });
    return this.flushing;
  }

  /**
   * The job has ended (succeeded, failed, cancelled): its log moves to object storage, and followers
   * are told to read the rest there. A job that goes back to the queue keeps its live log instead.
   */
  async close(ended: boolean): Promise<void> {
    await this.flush();
    if (!ended) return;
    try {
      const lines = await this.channels.wholeLog(this.jobId);
      await this.storage.put(jobKeys(this.jobId).logs, formatJobLogFile(lines), { contentType: 'application/x-ndjson' });
      await this.channels.endLog(this.jobId);
    } catch (error) {
      // The live log stays in Redis (it expires in JOB_LOG_TTL_SECONDS); readers find it there.
      this.logger.warn({ err: error }, "could not move the job's log to object storage");
    }
  }
}
