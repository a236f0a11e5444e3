/**
 * `trainyard start [api|worker]`: runs the service. Without an argument, the API and one worker in
 * this process (`npm start`); `api` or `worker` alone for deployments where workers run elsewhere
 * (any number of them). Configuration comes from environment variables, checked before anything
 * starts; DATABASE_URL and REDIS_URL fall back to local servers (see start/local-services.ts).
 * SIGTERM or SIGINT: running jobs checkpoint and go back to the queue, the API drains, then exit.
 */
import { ConfigError } from '@trainyard/contracts';
import { readApiConfig, startApi, type RunningApi } from '@trainyard/api';
import { createLogger, readWorkerConfig, startWorker, WorkerEngineError, type RunningWorker } from '@trainyard/worker';
import { UsageError } from '../args.js';
import { MissingServiceError, resolveLocalServices } from './start/local-services.js';

const USAGE = [
  'usage: trainyard start            the API and one worker (npm start)',
  '       trainyard start api        the API alone (npm run start:api)',
  '       trainyard start worker     one worker alone (npm run start:worker)',
  '',
  'Configured by environment variables (PORT, DATABASE_URL, REDIS_URL, STORAGE_URL, ...; see the README).',
  'Unset DATABASE_URL / REDIS_URL: the servers on 127.0.0.1:5432 / 6379, else an embedded PostgreSQL',
  'and a private redis-server with their data under ./data.',
].join('\n');

type Mode = 'all' | 'api' | 'worker';

/** After a shutdown, a handle something forgot to close must not keep the process up. */
const EXIT_GRACE_MS = 3_000;
/** Signals this close to the first one are the same Ctrl-C delivered twice, not a request to hurry. */
const DUPLICATE_SIGNAL_MS = 1_000;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  if (argv.length > 1 || (argv[0] !== undefined && argv[0] !== 'api' && argv[0] !== 'worker')) {
    throw new UsageError(`unknown arguments: ${argv.join(' ')}\n\n${USAGE}`);
  }
  const mode: Mode = (argv[0] as Mode | undefined) ?? 'all';
  const env = process.env;

  // Every variable is checked before any server starts, and all problems are shown at once.
  let logLevel: string;
  try {
    logLevel = (mode === 'worker' ? readWorkerConfig(env) : readApiConfig(env)).logLevel;
    if (mode === 'all') readWorkerConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(logLevel, { service: 'trainyard' });

  let services;
  try {
    services = await resolveLocalServices(env, { log: (message) => logger.info(message) });
  } catch (error) {
    if (error instanceof MissingServiceError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const resolvedEnv = { ...env, DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl };

  let api: RunningApi | null = null;
  let worker: RunningWorker | null = null;
  try {
    if (mode !== 'worker') api = await startApi({ env: resolvedEnv, handleSignals: false });
    if (mode !== 'api') {
      const config = readWorkerConfig(resolvedEnv);
      worker = await startWorker(
        { ...config, databaseUrl: services.databaseUrl, redisUrl: services.redisUrl },
        createLogger(config.logLevel, { workerId: config.workerId }),
      );
    }
  } catch (error) {
    await Promise.allSettled([api?.close(), worker?.stop()]);
    await services.stop();
    if (error instanceof WorkerEngineError) {
      process.stderr.write(`worker cannot start: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (api) logger.info({ url: api.url }, 'trainyard API ready');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutting down (another signal exits at once)');
  const firstAt = Date.now();
  const force = (second: NodeJS.Signals) => {
    // One Ctrl-C can arrive twice (the terminal signals the whole process group, and npm forwards it).
    if (Date.now() - firstAt < DUPLICATE_SIGNAL_MS) {
      process.once(second, force);
      return;
    }
    logger.warn({ signal: second }, 'exiting without a graceful shutdown');
    process.exit(130);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);

  // The worker first: its jobs need the database and the queue to be handed back.
  await worker?.stop();
  await api?.close();
  await services.stop();
  setTimeout(() => process.exit(process.exitCode ?? 0), EXIT_GRACE_MS).unref();
  return 0;
}
