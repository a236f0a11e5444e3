/**
 * Postgres down or restarting (connection refused, reset or closed, admin shutdown, pool timeout). The
 * one list of what that looks like: the API answers 503 for it, the worker retries through it. pg
 * reports it with SQLSTATE classes 57P0x and 08 or a socket code, Prisma with P1xxx codes or inside a
 * raw query's P2010 message; either may wrap it in a `cause`.
 */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

const UNREACHABLE_MESSAGE =
  /connection (terminated|refused|closed|ended)|terminating connection|Can't reach database|timeout exceeded when trying to connect|57P0[123]/i;

export function isDatabaseUnreachable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || /^57P0[123]$|^08/.test(code))) return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGE.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
