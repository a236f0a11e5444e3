/**
 * GET /metrics (Prometheus text) against the real API, Postgres and Redis, and the dashboard's static
 * serving at / (built files, or a page saying how to build them).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { WorkerRegistry } from '@trainyard/queue';
import { lenetJob, REDIS_URL, startTestApi, type TestApi } from './helpers.js';
import { serveDashboard } from '../src/dashboard/serve-dashboard.js';
import { claimJob, databaseInternals } from '@trainyard/db/testing';

/** The value of one sample line, e.g. sample(text, 'trainyard_jobs{status="queued"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let api: TestApi;
  let workers: WorkerRegistry;

  before(async () => {
    api = await startTestApi();
    workers = new WorkerRegistry({ redisUrl: REDIS_URL, prefix: api.deps.config.queuePrefix });
  });
  after(async () => {
    await workers.close();
    await api.close();
  });

  test('jobs by status, queue depth, job durations, worker heartbeats and throughput, API latency', async () => {
    const headers = await api.authFor('metrics-tenant');
    for (let i = 0; i < 3; i++) {
      const res = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: lenetJob() });
      assert.equal(res.statusCode, 201);
    }
    const { id } = (await api.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: lenetJob() })).json();
    assert.ok(await claimJob(api.db, id, 'w1'));
    assert.ok(await api.db.jobs.succeed(id, 'w1', { engine: 'wasm', evaluation: {} }));
    await databaseInternals(api.db).pool.query(`UPDATE jobs SET started_at = finished_at - interval '90 seconds' WHERE id = $1`, [id]);
    await workers.report({ workerId: 'w1', at: new Date().toISOString(), concurrency: 1, runningJobIds: ['x'], imagesPerSecond: 1234.5 });
    await workers.report({
      workerId: 'w-gone',
      at: new Date(Date.now() - 10 * 60_000).toISOString(),
      concurrency: 1,
      runningJobIds: [],
      imagesPerSecond: 99,
    });
    await api.app.inject({ method: 'GET', url: '/v1/jobs/not-a-job', headers });

    const res = await api.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = res.body;
    assert.equal(sample(text, 'trainyard_jobs{status="queued"}'), 3);
    assert.equal(sample(text, 'trainyard_jobs{status="succeeded"}'), 1);
    assert.equal(sample(text, 'trainyard_jobs{status="failed"}'), 0);
    // The claimed job's queue entry is still waiting: this test claimed it in Postgres only.
    assert.equal(sample(text, 'trainyard_queue_jobs{state="waiting"}'), 4);
    assert.equal(sample(text, 'trainyard_job_duration_seconds_bucket{le="60",status="succeeded"}'), 0);
    assert.equal(sample(text, 'trainyard_job_duration_seconds_bucket{le="120",status="succeeded"}'), 1);
    assert.equal(sample(text, 'trainyard_job_duration_seconds_count{status="succeeded"}'), 1);
    assert.equal(sample(text, 'trainyard_job_duration_seconds_sum{status="succeeded"}'), 90);
    assert.equal(sample(text, 'trainyard_workers_alive'), 1);
    assert.equal(sample(text, 'trainyard_training_images_per_second'), 1234.5);
    assert.equal(sample(text, 'trainyard_worker_running_jobs{worker="w1"}'), 1);
    assert.ok(sample(text, 'trainyard_worker_last_heartbeat_seconds{worker="w-gone"}')! < Date.now() / 1000 - 500);
    assert.equal(sample(text, 'trainyard_http_request_duration_seconds_count{method="POST",route="/v1/jobs",status_code="201"}'), 4);
    assert.equal(sample(text, 'trainyard_http_request_duration_seconds_count{method="GET",route="/v1/jobs/:id",status_code="404"}'), 1);
    assert.ok(sample(text, 'trainyard_api_process_resident_memory_bytes')! > 0);
    // No tenant's data, and no key, in the metrics.
    assert.doesNotMatch(text, /metrics-tenant|ty_/);
  });
});

describe('the dashboard at /', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trainyard-dashboard-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('without a build, / says how to build it', async () => {
    const app = Fastify();
    await app.register(async (scope) => serveDashboard(scope, { dir: join(dir, 'missing') }));
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 503);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.match(res.body, /npm run build -w @trainyard\/dashboard/);
    await app.close();
  });

  test('with a build, index.html and hashed assets, with cache headers to match', async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Trainyard</title><script src="/assets/index-abc123.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = Fastify();
    await app.register(async (scope) => serveDashboard(scope, { dir }));
    const index = await app.inject({ method: 'GET', url: '/' });
    assert.equal(index.statusCode, 200);
    assert.match(index.body, /<title>Trainyard<\/title>/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    assert.equal((await app.inject({ method: 'GET', url: '/../package.json' })).statusCode, 404);
    await app.close();
  });
});
