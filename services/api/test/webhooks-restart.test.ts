/**
 * Webhook events survive the API: events written while the receiver was down, by an API process that
 * was then killed (SIGKILL) and by the worker's transitions while no API ran, are delivered from the
 * outbox by the next API process (a real `trainyard start api`, its delivery loop running as in
 * production).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@trainyard/contracts/ports';
import { openDatabase, type Database } from '@trainyard/db';
import { claimJob, createTestDatabase, databaseInternals, type TestDatabase } from '@trainyard/db/testing';
import { REDIS_URL, lenetJob } from './helpers.js';
import { startReceiver, type WebhookReceiver } from './webhook-receiver.js';

const CLI = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

let database: TestDatabase;
let db: Database;
let storageDir: string;
let receiver: WebhookReceiver;
const children: ChildProcess[] = [];

before(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url, { max: 3 });
  storageDir = mkdtempSync(join(tmpdir(), 'trainyard-webhooks-restart-'));
  receiver = await startReceiver();
});
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await receiver?.close();
  await db?.close();
  await database?.drop();
  rmSync(storageDir, { recursive: true, force: true });
});

async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** `trainyard start api` on a free port; resolves once it answers /readyz. */
async function startApiProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'start', 'api'], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL,
      STORAGE_URL: storageDir,
      QUEUE_PREFIX: `webhooks-restart-${port}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await until(
    () =>
      fetch(`${url}/readyz`).then(
        (response) => response.ok,
        () => false,
      ),
    'the API to be ready',
  );
  return { url, child };
}

async function attemptsRecorded(): Promise<number> {
  const { rows } = await databaseInternals(db).pool.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM webhook_delivery_attempts',
  );
  return rows[0]!.count;
}

test('events written before a crash and while no API ran are delivered by the next API process', async () => {
  const { tenant } = await db.tenants.findOrCreate('webhooks-restart');
  const { key } = await db.tenants.createApiKey(tenant.id);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

  receiver.answer = 503; // the receiver is down at first
  const first = await startApiProcess({ WEBHOOK_RETRY_BASE_MS: '60000' });
  const created = await fetch(`${first.url}/v1/webhooks`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ url: receiver.url, events: ['job.queued', 'job.running', 'job.failed'] }),
  });
  assert.equal(created.status, 201);
  const submitted = await fetch(`${first.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify(lenetJob()) });
  assert.equal(submitted.status, 201);
  const jobId = ((await submitted.json()) as { id: string }).id;
  // The first API tried once (503; its next try a minute away), then dies without a word.
  await until(async () => (await attemptsRecorded()) >= 1, 'the first attempt');
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');

  // The worker's transitions while no API runs (the repository calls a worker makes).
  assert.ok(await claimJob(db, jobId, 'worker-1'));
  assert.ok(await db.jobs.fail(jobId, 'worker-1', { code: 'out_of_memory', message: 'The worker ran out of memory.' }));
  // The queued event's retry is due now, as if its minute had passed.
  await databaseInternals(db).pool.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'`);

  receiver.answer = 200;
  await startApiProcess({ WEBHOOK_RETRY_BASE_MS: '100' });
  const delivered = await until(() => {
    const ok = receiver.received.filter((delivery) => delivery.status === 200).map((delivery) => JSON.parse(delivery.body));
    return ok.length >= 3 ? ok : undefined;
  }, 'three deliveries from the outbox');
  assert.deepEqual(delivered.map((body) => body.type).sort(), ['job.failed', 'job.queued', 'job.running']);
  for (const body of delivered) assert.equal(body.data.job.id, jobId);
  const failed = delivered.find((body) => body.type === 'job.failed');
  assert.deepEqual(failed.data.job.error, { code: 'out_of_memory', message: 'The worker ran out of memory.' });
  const queued = receiver.received.filter((delivery) => JSON.parse(delivery.body).type === 'job.queued');
  assert.deepEqual(
    queued.map((delivery) => delivery.status),
    [503, 200],
  );
  assert.equal(queued[0]!.headers['webhook-id'], queued[1]!.headers['webhook-id'], 'a retry keeps its webhook-id');
  assert.equal(queued[0]!.body, queued[1]!.body, 'and its body');
});
