import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; every line of a job carries its jobId through `logger.child({ jobId })`. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'trainyard-worker', ...bindings } });
}
