/**
 * The Prisma client over a pg pool (Prisma 7 driver adapters). The pool is ours so that its errors
 * (a Postgres restart drops idle connections) are logged instead of crashing the process, and so that
 * start-up code can run plain SQL (migrations) on the same pool.
 */
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };

export interface PoolOptions {
  /** Connections in the pool; default 10. */
  max?: number;
  /** Called for errors of idle connections (they are replaced on the next query). */
  onError?: (error: Error) => void;
}

export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const max = options.max ?? 10;
  const pool = new pg.Pool({
    connectionString,
    max,
    // A fixed-size pool: connections it opened stay open. Closing idle ones after a quiet spell made the
    // next burst of requests wait while Postgres started a backend for each (69 ms, traced in
    // bench/service/hostile-tenant.mjs), and the other tenants' queries waited behind them.
    min: max,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', (error) => options.onError?.(error));
  return pool;
}

export function createPrismaClient(pool: pg.Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
