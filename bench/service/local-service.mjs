/**
 * A throwaway Trainyard for the service benches: a fresh database on the local Postgres, a fresh queue
 * prefix on the local Redis, local-disk storage in a temp folder, an API key, and `trainyard start
 * api|worker` as real processes. Requires a build (npm run build) and Postgres/Redis on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase } from '@trainyard/db/testing';
import { TrainingQueue } from '@trainyard/queue';
import { freePort } from '@trainyard/contracts/ports';

const CLI = fileURLToPath(new URL('../../services/cli/dist/src/main.js', import.meta.url));

/**
 * `apiLogLevel`: the API's LOG_LEVEL (default info, which logs every request as services do in
 * production); workers log at warn. `apiEnv`: more variables for the API process alone (API_PROCESSES);
 * `apiNodeArgs`: node options for it (--cpu-prof).
 */
export async function startLocalService({ extraEnv = {}, apiLogLevel = 'info', apiEnv = {}, apiNodeArgs = [] } = {}) {
  const scratch = await mkdtemp(join(tmpdir(), 'trainyard-bench-'));
  const database = await createTestDatabase();
  const env = {
    ...process.env,
    DATABASE_URL: database.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
    STORAGE_URL: `file://${join(scratch, 'storage')}`,
    LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extraEnv,
  };
  const processes = [];
  const start = (role, roleEnv = {}, nodeArgs = []) => {
    const child = spawn(process.execPath, [...nodeArgs, CLI, 'start', role], {
      env: { ...env, ...roleEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    processes.push(child);
    const lines = createInterface({ input: child.stdout });
    return { child, lines };
  };

  const keyProcess = spawn(process.execPath, [CLI, 'keys', 'create', '--tenant', 'bench'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let keyOutput = '';
  keyProcess.stdout.on('data', (chunk) => (keyOutput += chunk));
  await once(keyProcess, 'exit');
  const key = keyOutput.trim().split('\n').at(-1);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const startApi = async (moreEnv = {}) => {
    const started = start('api', { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: apiLogLevel, ...apiEnv, ...moreEnv }, apiNodeArgs);
    // Errors and fatal lines of the API reach the bench's stderr; the rest is dropped.
    started.lines.on('line', (line) => {
      if (/"level":(50|60)/.test(line)) process.stderr.write(`api: ${line.slice(0, 2000)}\n`);
    });
    for (let tries = 0; ; tries++) {
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (tries > 300) throw new Error('the API did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return started;
  };
  let api = await startApi();

  return {
    url,
    key,
    env,
    /** The API process's id (it changes with restartApi). */
    apiPid: () => api.child.pid,
    /** CPU seconds (user + system) used so far by the API process and its cluster workers. */
    apiCpuSeconds: () => processTreeCpuSeconds(api.child.pid),
    /** CPU seconds used so far by the Postgres backends connected to the bench's database. */
    async postgresCpuSeconds() {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query(
          'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        return rows.reduce((sum, row) => sum + processCpuSeconds(row.pid), 0);
      } finally {
        await client.end();
      }
    },
    /** Stops the API process and starts a new one on the same port, database and storage, with `moreEnv`. */
    async restartApi(moreEnv = {}) {
      api.child.kill('SIGTERM');
      await once(api.child, 'exit');
      api = await startApi(moreEnv);
    },
    /**
     * Starts a worker; resolves once it waits on the queue (its "worker ready" line). `onLine` sees
     * every line the worker logs.
     */
    startWorker(workerEnv = {}, { onLine } = {}) {
      const worker = start('worker', { LOG_LEVEL: 'info', ...workerEnv });
      if (onLine) worker.lines.on('line', onLine);
      return new Promise((resolve, reject) => {
        worker.child.once('exit', (code) => reject(new Error(`the worker exited with code ${code}`)));
        worker.lines.on('line', (line) => {
          if (line.includes('"msg":"worker ready"')) resolve(worker.child);
        });
      });
    },
    async stop() {
      for (const child of processes) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await once(child, 'exit');
        }
      }
      // The bench's queue keys go too: the Redis is shared.
      const queue = new TrainingQueue({ redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX });
      await queue.obliterate();
      await queue.close();
      await database.drop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** CPU seconds of one process (with those of its children it has waited for: `withReapedChildren`), 0 when it is gone. */
export function processCpuSeconds(pid, { withReapedChildren = false } = {}) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const reaped = withReapedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return (Number(fields[11]) + Number(fields[12]) + reaped) / 100;
  } catch {
    return 0;
  }
}

/** A process and every process below it: its children, theirs, and so on (Linux /proc). */
export function processTree(rootPid) {
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) {
    let threads = [];
    try {
      threads = readdirSync(`/proc/${tree[i]}/task`);
    } catch {
      continue; // it ended meanwhile
    }
    for (const tid of threads) {
      try {
        // The children that this thread started.
        const children = readFileSync(`/proc/${tree[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(' ').map(Number));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return tree;
}

/** CPU seconds of a process and its children (clock ticks of 1/100 s). */
export function processTreeCpuSeconds(rootPid) {
  return processTree(rootPid).reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}
