import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retries a database write through a short outage (a Postgres restart drops every connection; the
 * pool reconnects on the next query). Every write the worker makes is a conditional update or an
 * upsert, so running one twice is harmless.
 */
export async function retryDatabase<T>(operation: () => Promise<T>, options: { attempts?: number; baseDelayMs?: number } = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isConnectionError(error)) throw error;
      await sleep(Math.min(8_000, baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
    }
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08006',
  '08001',
  '08003',
  'P1001',
  'P1017',
]);

function isConnectionError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (
      typeof message === 'string' &&
      /connection (terminated|refused|closed|ended)|terminating connection|Can't reach database|timeout exceeded when trying to connect/i.test(
        message,
      )
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
