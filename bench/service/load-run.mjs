#!/usr/bin/env node
/**
 * Issue 5's load run: 500 job submissions from 50 concurrent clients (each its own tenant and API key,
 * 10 submissions each, one after the other) while real workers train synthetic LeNet-5 jobs, against
 * `trainyard start api` / `trainyard start worker` processes with their default settings (rate limit,
 * quotas, lock times). Then it checks what the service promised:
 *   - no answer was a 5xx;
 *   - every accepted job (201) is a row in Postgres, and is in the queue (a BullMQ entry) or has
 *     already been taken by a worker (running or finished in Postgres);
 *   - the workers trained meanwhile.
 * Prints one JSON line with the counts and the latency percentiles; exits 1 if a check fails.
 *
 *   npm run build && node bench/service/load-run.mjs [--clients 50] [--per-client 10] [--workers 1]
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { TrainingQueue } from '@trainyard/queue';
import { percentile, startLocalService } from './local-service.mjs';
import { recordResult } from '../record.mjs';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    'per-client': { type: 'string', default: '10' },
    workers: { type: 'string', default: '1' },
  },
});
const clients = Number(values.clients);
const perClient = Number(values['per-client']);
const adminToken = randomBytes(24).toString('base64url');
const job = (epochs) => ({ model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, hyperparameters: { epochs } });

const service = await startLocalService({ apiEnv: { ADMIN_TOKEN: adminToken } });
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const problems = [];

/** One HTTP request on the shared keep-alive agent; resolves with status, parsed body and milliseconds. */
function request(method, path, authorization, body) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${service.url}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${authorization}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let parsed = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = { unparsed: text.slice(0, 200) };
          }
          resolve({ status: res.statusCode, body: parsed, ms: performance.now() - started });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const database = new pg.Client({ connectionString: service.env.DATABASE_URL });
const queue = new TrainingQueue({ redisUrl: service.env.REDIS_URL, prefix: service.env.QUEUE_PREFIX });
try {
  await database.connect();
  const workers = [];
  for (let i = 0; i < Number(values.workers); i++) workers.push(await service.startWorker({ LOG_LEVEL: 'info' }));

  // One tenant and key per client, made over the admin API.
  const keys = [];
  for (let i = 0; i < clients; i++) {
    const res = await request('POST', '/admin/v1/keys', adminToken, { tenant: `load-${i}` });
    if (res.status !== 201) throw new Error(`creating a key answered ${res.status}: ${JSON.stringify(res.body)}`);
    keys.push(res.body.key);
  }

  // The API builds its catalog in a child process at start-up (seconds of CPU); the load starts after.
  await request('GET', '/v1/architectures', keys[0]);
  // The workers are busy before the load starts.
  const warm = await request('POST', '/v1/jobs', keys[0], job(3));
  for (;;) {
    const current = await request('GET', `/v1/jobs/${warm.body.id}`, keys[0]);
    if (current.body.phase === 'training') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const results = [];
  const started = performance.now();
  await Promise.all(
    keys.map(async (key) => {
      for (let i = 0; i < perClient; i++) results.push({ ...(await request('POST', '/v1/jobs', key, job(1))), first: i === 0 });
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  const statuses = {};
  for (const res of results) statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  const serverErrors = results.filter((res) => res.status >= 500);
  if (serverErrors.length > 0)
    problems.push(`${serverErrors.length} answers were 5xx: ${JSON.stringify(serverErrors.slice(0, 3).map((r) => r.body))}`);
  const accepted = results.filter((res) => res.status === 201).map((res) => res.body.id);

  // Every accepted job: a row in Postgres; in the queue, or already taken by a worker. A job whose
  // enqueue failed is enqueued by the outbox within seconds, so a missing entry is looked for again.
  const { rows } = await database.query('SELECT id, status, enqueued_at FROM jobs WHERE id = ANY($1::uuid[])', [accepted]);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const notInPostgres = accepted.filter((id) => !byId.has(id));
  if (notInPostgres.length > 0) problems.push(`${notInPostgres.length} accepted jobs have no row in Postgres`);
  const queueStates = {};
  let unaccounted = [];
  for (const id of accepted) {
    const state = await queue.state(id);
    queueStates[state] = (queueStates[state] ?? 0) + 1;
    if (state === 'missing' && byId.get(id)?.status === 'queued') unaccounted.push(id);
  }
  for (let tries = 0; unaccounted.length > 0 && tries < 30; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const still = [];
    for (const id of unaccounted) if ((await queue.state(id)) === 'missing') still.push(id);
    unaccounted = still;
  }
  if (unaccounted.length > 0) problems.push(`${unaccounted.length} accepted jobs are queued in Postgres but not in the queue`);

  const { rows: trained } = await database.query(
    "SELECT status, count(*)::int AS count FROM jobs WHERE status <> 'queued' GROUP BY status ORDER BY status",
  );
  if (trained.length === 0) problems.push('no job left the queue: the workers did not train');

  const round = (ms) => Math.round(ms * 10) / 10;
  const percentiles = (list) => {
    const sorted = list.map((res) => res.ms).sort((a, b) => a - b);
    return {
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1)),
    };
  };
  console.log(
    JSON.stringify(
      recordResult('load-run', {
        bench: 'issue 5 load run',
        clients,
        submissions: results.length,
        workers: workers.length,
        seconds: round(seconds),
        requestsPerSecond: Math.round(results.length / seconds),
        statuses,
        latencyMs: percentiles(results),
        // A client's first submission also opens its connection and misses the API's key cache.
        latencyMsOfFirstSubmissions: percentiles(results.filter((res) => res.first)),
        latencyMsOfTheRest: percentiles(results.filter((res) => !res.first)),
        accepted: accepted.length,
        inPostgres: accepted.length - notInPostgres.length,
        queueStatesOfAccepted: queueStates,
        jobsTakenByWorkersByNow: Object.fromEntries(trained.map((row) => [row.status, row.count])),
        problems,
      }),
    ),
  );
} finally {
  agent.destroy();
  await database.end().catch(() => {});
  await queue.close();
  await service.stop();
}
process.exitCode = problems.length > 0 ? 1 : 0;
