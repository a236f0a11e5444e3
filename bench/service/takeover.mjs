#!/usr/bin/env node
/**
 * How long a job waits after its worker is killed with SIGKILL mid-training until another worker
 * takes it over, with the workers' DEFAULT lock settings (WORKER_LOCK_MS, WORKER_STALLED_INTERVAL_MS):
 * the bound the README states. Two `trainyard start worker` processes; one LeNet-5 job on the synthetic
 * set; once it has a checkpoint, the worker running it is killed (kill -9), and the clock runs until
 *   - claimed: the job row is `running` on the other worker (Postgres),
 *   - training: the other worker's child reports a training batch again (resumed from the checkpoint).
 * Prints one JSON line.
 *
 *   npm run build && node bench/service/takeover.mjs [--runs 1]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startLocalService } from './local-service.mjs';
import { recordResult } from '../record.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' } } });
const service = await startLocalService();
const database = new pg.Client({ connectionString: service.env.DATABASE_URL });
const headers = { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function jobRow(id) {
  const { rows } = await database.query('SELECT status, phase, worker_id, progress, attempts FROM jobs WHERE id = $1', [id]);
  return rows[0];
}

/** Polls every 50 ms until `probe` returns something. */
async function until(probe, what, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

try {
  await database.connect();
  const runs = [];
  for (let run = 0; run < Number(values.runs); run++) {
    // Two workers with every setting at its default.
    await Promise.all([service.startWorker(), service.startWorker()]);
    const response = await fetch(`${service.url}/v1/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, hyperparameters: { epochs: 40 } }),
    });
    const { id } = await response.json();
    await until(async () => (await database.query('SELECT 1 FROM checkpoints WHERE job_id = $1', [id])).rowCount > 0, 'a checkpoint');
    const before = await until(async () => {
      const row = await jobRow(id);
      return row.phase === 'training' && row.progress?.step > 0 ? row : undefined;
    }, 'training to go on after the checkpoint');
    // WORKER_ID defaults to host-pid-random.
    const pid = Number(before.worker_id.split('-').at(-2));
    process.kill(pid, 'SIGKILL');
    const killedAt = performance.now();
    const claimed = await until(async () => {
      const row = await jobRow(id);
      return row.status === 'running' && row.worker_id !== before.worker_id ? row : undefined;
    }, 'another worker to claim the job');
    const claimedMs = performance.now() - killedAt;
    await until(async () => {
      const row = await jobRow(id);
      return row.phase === 'training' && row.progress && row.worker_id === claimed.worker_id ? row : undefined;
    }, 'training to resume');
    const trainingMs = performance.now() - killedAt;
    runs.push({ msToClaimedByAnotherWorker: Math.round(claimedMs), msToTrainingAgain: Math.round(trainingMs), attempts: claimed.attempts });
    await fetch(`${service.url}/v1/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: headers.authorization } });
  }
  console.log(
    JSON.stringify(
      recordResult('takeover', {
        bench: 'takeover after SIGKILL, default lock settings',
        workerLockMs: 10000,
        workerStalledIntervalMs: 5000,
        runs,
      }),
    ),
  );
} finally {
  await database.end().catch(() => {});
  await service.stop();
}
