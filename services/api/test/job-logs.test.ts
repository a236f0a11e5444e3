/**
 * GET /v1/jobs/{id}/logs against the real API, Postgres, Redis and storage, with the lines written as a
 * worker writes them (JobChannels.appendLog, then the stored file and endLog when the job ends):
 * cursor paging, the same lines and ids from storage once the job ended, following as SSE until the
 * end (also resumed after the end), the 10,000-line cap, deletion with the job, and refusals.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { JOB_LOG_MAX_LINES, type JobLogLine, type JobLogPage } from '@trainyard/contracts';
import { formatJobLogFile, JobChannels, jobLogKey, type NewJobLogLine } from '@trainyard/queue';
import { jobKeys } from '@trainyard/storage';
import { lenetJob, type TestApi } from './helpers.js';
import { openSse } from './sse-client.js';
import { startStreamFixture, until, type StreamFixture } from './stream-fixture.js';
import { claimJob } from '@trainyard/db/testing';

const WORKER = 'worker-logs-test';

const lineOf = (message: string, level: NewJobLogLine['level'] = 'info'): NewJobLogLine => ({
  time: new Date().toISOString(),
  level,
  message,
});

describe('GET /v1/jobs/{id}/logs', () => {
  let api: TestApi;
  let base: string;
  let headers: Record<string, string>;
  let worker: JobChannels;
  let redis: Redis;
  let fixture: StreamFixture;

  before(async () => {
    fixture = await startStreamFixture('logs-tenant');
    ({ api, base, headers, worker, redis } = fixture);
  });
  after(() => fixture.close());

  async function submit(): Promise<string> {
    const response = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: lenetJob() });
    assert.equal(response.statusCode, 201, response.body);
    return response.json().id as string;
  }

  async function page(id: string, query = ''): Promise<JobLogPage> {
    const response = await api.app.inject({ url: `/v1/jobs/${id}/logs${query}`, headers });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as JobLogPage;
  }

  /** What the worker does when the job ends: the live log to storage, then the end for followers. */
  async function storeLog(id: string): Promise<void> {
    await api.storage.put(jobKeys(id).logs, formatJobLogFile(await worker.wholeLog(id)));
    await worker.endLog(id);
  }

  test('pages by cursor while the job runs, and the same lines and ids from storage once it ended', async () => {
    const id = await submit();
    assert.deepEqual(await page(id), { lines: [], nextCursor: null }, 'nothing logged yet');
    for (let batch = 0; batch < 3; batch++) {
      await worker.appendLog(
        id,
        Array.from({ length: batch === 2 ? 5 : 10 }, (_, i) => lineOf(`line ${batch * 10 + i}`)),
      );
    }
    const pages: JobLogPage[] = [];
    let cursor = '';
    for (let i = 0; i < 4; i++) {
      const next = await page(id, `?limit=10${cursor ? `&since=${cursor}` : ''}`);
      pages.push(next);
      cursor = next.nextCursor!;
    }
    assert.deepEqual(
      pages.map((p) => p.lines.length),
      [10, 10, 5, 0],
    );
    const live = pages.flatMap((p) => p.lines);
    assert.deepEqual(
      live.map((line) => line.message),
      Array.from({ length: 25 }, (_, i) => `line ${i}`),
    );
    assert.equal(pages[1]!.lines[0]!.message, 'line 10', 'since is exclusive');
    assert.equal(pages[3]!.nextCursor, pages[2]!.nextCursor, 'an empty page keeps the cursor');
    assert.equal(pages[0]!.nextCursor, live[9]!.id);

    await storeLog(id);
    assert.equal(await redis.exists(jobLogKey(api.deps.config.queuePrefix, id)), 0, 'the live log is gone');
    assert.deepEqual((await page(id)).lines, live, 'the stored log has the same lines and ids');
    const stored = await page(id, `?since=${live[19]!.id}&limit=3`);
    assert.deepEqual(stored.lines, live.slice(20, 23));
    assert.equal(stored.nextCursor, live[22]!.id);
  });

  test(`the live log keeps the last ${JOB_LOG_MAX_LINES} lines`, async () => {
    const id = await submit();
    const total = JOB_LOG_MAX_LINES + 5;
    for (let from = 0; from < total; from += 1000) {
      await worker.appendLog(
        id,
        Array.from({ length: Math.min(1000, total - from) }, (_, i) => lineOf(`line ${from + i}`)),
      );
    }
    assert.equal(await redis.xlen(jobLogKey(api.deps.config.queuePrefix, id)), JOB_LOG_MAX_LINES);
    const first = await page(id, '?limit=2');
    assert.deepEqual(
      first.lines.map((line) => line.message),
      ['line 5', 'line 6'],
    );
    assert.equal((await page(id, `?limit=${JOB_LOG_MAX_LINES}`)).lines.length, JOB_LOG_MAX_LINES);
  });

  test('follow=true streams the lines as they come and ends once the job ended; a follow after the end replays and ends', async () => {
    const id = await submit();
    await worker.appendLog(id, [lineOf('attempt 1 started')]);
    const stream = await openSse(`${base}/v1/jobs/${id}/logs?follow=true`, headers);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    await until(() => stream.messages.length >= 1, 'the line logged before the client came');

    assert.ok(await claimJob(api.db, id, WORKER));
    await worker.appendLog(id, [lineOf('engine cpu on cpu (test)'), lineOf('training')]);
    await until(() => stream.messages.length >= 3, 'two live lines');
    await worker.appendLog(id, [lineOf('job failed: training_diverged: The loss became NaN.', 'error')]);
    assert.ok(await api.db.jobs.fail(id, WORKER, { code: 'training_diverged', message: 'The loss became NaN.' }));
    await storeLog(id);
    await stream.ended;

    const lines = stream.messages.filter((m) => m.event === 'line').map((m) => JSON.parse(m.data) as JobLogLine);
    assert.deepEqual(
      lines.map((line) => [line.level, line.message]),
      [
        ['info', 'attempt 1 started'],
        ['info', 'engine cpu on cpu (test)'],
        ['info', 'training'],
        ['error', 'job failed: training_diverged: The loss became NaN.'],
      ],
    );
    assert.deepEqual(
      stream.messages.filter((m) => m.event === 'line').map((m) => m.id),
      lines.map((line) => line.id),
      'each event id is its line id',
    );
    const end = stream.messages.at(-1)!;
    assert.equal(end.event, 'end');
    assert.deepEqual(JSON.parse(end.data), { jobId: id, status: 'failed' });

    // A reconnect after the end: only what it missed (from storage), then the end.
    const resumed = await openSse(`${base}/v1/jobs/${id}/logs?follow=true`, { ...headers, 'last-event-id': lines[1]!.id });
    await resumed.ended;
    assert.deepEqual(
      resumed.messages.map((m) => m.event),
      ['line', 'line', 'end'],
    );
    assert.equal(resumed.messages[0]!.id, lines[2]!.id);
  });

  test('deleting the job deletes its stored log and any live log left in Redis', async () => {
    const id = await submit();
    await worker.appendLog(id, [lineOf('one'), lineOf('two')]);
    assert.ok(await claimJob(api.db, id, WORKER));
    assert.ok(await api.db.jobs.fail(id, WORKER, { code: 'internal', message: 'boom' }));
    await api.storage.put(jobKeys(id).logs, formatJobLogFile(await worker.wholeLog(id)));
    // As if the worker died between storing the log and dropping the live one.
    assert.equal(await redis.exists(jobLogKey(api.deps.config.queuePrefix, id)), 1);
    const deleted = await api.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}`, headers });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.equal(await api.storage.exists(jobKeys(id).logs), false);
    assert.equal(await redis.exists(jobLogKey(api.deps.config.queuePrefix, id)), 0);
    assert.equal((await api.app.inject({ url: `/v1/jobs/${id}/logs`, headers })).statusCode, 404);
  });

  test("another tenant's job is 404, no key is 401, a malformed cursor is 400", async () => {
    const id = await submit();
    const other = await api.app.inject({ url: `/v1/jobs/${id}/logs`, headers: await api.authFor('logs-other-tenant') });
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().error.code, 'not_found');
    assert.equal((await api.app.inject({ url: `/v1/jobs/${id}/logs` })).statusCode, 401);
    const badCursor = await api.app.inject({ url: `/v1/jobs/${id}/logs?since=yesterday`, headers });
    assert.equal(badCursor.statusCode, 400);
    assert.equal(badCursor.json().error.code, 'validation_failed');
    const badEventId = await openSse(`${base}/v1/jobs/${id}/logs?follow=true`, { ...headers, 'last-event-id': 'yesterday' });
    assert.equal(badEventId.status, 400);
    assert.equal(JSON.parse(await badEventId.errorBody).error.code, 'validation_failed');
  });
});
