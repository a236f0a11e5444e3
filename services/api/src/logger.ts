/**
 * pino JSON logs. Authorization headers and anything that looks like an API key are redacted, so a key
 * can never reach a log line even if a header dump is added later.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'trainyard-api' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'key', 'apiKey'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
