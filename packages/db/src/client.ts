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
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (error) => options.onError?.(error));
  return pool;
}

export function createPrismaClient(pool: pg.Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
