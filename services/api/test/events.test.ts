/**
 * GET /v1/jobs/{id}/events against the real API, Postgres and Redis: events published as a worker
 * publishes them arrive in order with ids, a reconnect with Last-Event-ID gets exactly what it
 * missed, the stream ends after the final status (also for a job that finished before the client
 * came), another tenant's job is 404, and a client that goes away leaves no subscription behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { JobChannels, jobEventsChannel, type JobEvent } from '@trainyard/queue';
import { lenetJob, REDIS_URL, type TestApi } from './helpers.js';
import { openSse } from './sse-client.js';
import { startStreamFixture, until, type StreamFixture } from './stream-fixture.js';
import { JobEventStream } from '../src/events/job-event-stream.js';
import { claimJob } from '@trainyard/db/testing';

const WORKER = 'worker-events-test';

describe('GET /v1/jobs/{id}/events', () => {
  let api: TestApi;
  let base: string;
  let headers: Record<string, string>;
  let worker: JobChannels;
  let redis: Redis;
  let fixture: StreamFixture;

  before(async () => {
    fixture = await startStreamFixture('events-tenant');
    ({ api, base, headers, worker, redis } = fixture);
  });
  after(() => fixture.close());

  async function submit(): Promise<string> {
    const response = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(lenetJob({ hyperparameters: { epochs: 2 } })),
    });
    assert.equal(response.status, 201);
    return ((await response.json()) as { id: string }).id;
  }

  const at = () => new Date().toISOString();

  test('live events in order with ids; the stream ends after the final status; a reconnect gets only what it missed', async () => {
    const id = await submit();
    const first = await openSse(`${base}/v1/jobs/${id}/events`, headers);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.ok(first.headers.get('x-request-id'));

    assert.ok(await claimJob(api.db, id, WORKER));
    await worker.publishEvent({ type: 'status', jobId: id, at: at(), status: 'running' });
    await worker.publishEvent({ type: 'phase', jobId: id, at: at(), phase: 'training' });
    const progress: JobEvent = {
      type: 'progress',
      jobId: id,
      at: at(),
      epoch: 1,
      epochs: 2,
      step: 3,
      steps: 10,
      imagesPerSecond: 100,
      etaSeconds: 5,
      loss: 2.1,
      accuracy: 0.2,
      learningRate: 0.001,
    };
    await worker.publishEvent(progress);
    await until(() => first.messages.length >= 3, 'three live events');
    first.abort();
    await first.ended;

    // While the client is away: one epoch, then the job succeeds.
    await worker.publishEvent({
      type: 'epoch',
      jobId: id,
      at: at(),
      epoch: 1,
      trainLoss: 1.5,
      trainAccuracy: 0.5,
      validationLoss: 1.6,
      validationAccuracy: 0.45,
      learningRate: 0.001,
      seconds: 2,
    });
    assert.ok(await api.db.jobs.succeed(id, WORKER, { engine: 'wasm', evaluation: {} }));
    await worker.publishEvent({ type: 'status', jobId: id, at: at(), status: 'succeeded' });

    assert.deepEqual(
      first.messages.map((m) => m.event),
      ['status', 'phase', 'progress'],
    );
    assert.deepEqual(JSON.parse(first.messages[2]!.data), progress);
    const ids = first.messages.map((m) => m.id!);
    assert.ok(ids.every((value) => /^\d+-\d+$/.test(value)));

    const second = await openSse(`${base}/v1/jobs/${id}/events`, { ...headers, 'last-event-id': ids[1]! });
    await second.ended; // ends by itself after the final status
    assert.deepEqual(
      second.messages.map((m) => m.event),
      ['progress', 'epoch', 'status'],
    );
    assert.equal(second.messages[0]!.id, ids[2]);
    assert.equal(JSON.parse(second.messages[2]!.data).status, 'succeeded');

    // A fresh client gets the whole log, then the end.
    const third = await openSse(`${base}/v1/jobs/${id}/events`, headers);
    await third.ended;
    assert.deepEqual(
      third.messages.map((m) => m.event),
      ['status', 'phase', 'progress', 'epoch', 'status'],
    );
  });

  test('a job that finished with no logged events: one status from Postgres, then the end', async () => {
    const id = await submit();
    assert.ok(await claimJob(api.db, id, WORKER));
    assert.ok(await api.db.jobs.fail(id, WORKER, { code: 'training_diverged', message: 'The loss became NaN.' }));
    const connection = await openSse(`${base}/v1/jobs/${id}/events`, headers);
    await connection.ended;
    assert.equal(connection.messages.length, 1);
    assert.equal(connection.messages[0]!.id, undefined);
    const event = JSON.parse(connection.messages[0]!.data);
    assert.equal(event.status, 'failed');
    assert.deepEqual(event.error, { code: 'training_diverged', message: 'The loss became NaN.' });
  });

  test("another tenant's job is 404, no key is 401, a malformed Last-Event-ID is 400", async () => {
    const id = await submit();
    const other = await openSse(`${base}/v1/jobs/${id}/events`, await api.authFor('events-other-tenant'));
    assert.equal(other.status, 404);
    assert.equal(JSON.parse(await other.errorBody).error.code, 'not_found');
    assert.equal((await openSse(`${base}/v1/jobs/${id}/events`, {})).status, 401);
    const bad = await openSse(`${base}/v1/jobs/${id}/events`, { ...headers, 'last-event-id': 'yesterday' });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(await bad.errorBody).error.code, 'validation_failed');
  });

  test('a client that disconnects leaves no subscription; the stream sends heartbeats and notices a finish pub/sub missed', async () => {
    const id = await submit();
    const channel = jobEventsChannel(api.deps.config.queuePrefix, id);
    const subscribers = async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1];
    const connection = await openSse(`${base}/v1/jobs/${id}/events`, headers);
    await until(() => connection.comments.includes('connected'), 'the first comment');
    assert.equal(await subscribers(), 1);
    connection.abort();
    const deadline = Date.now() + 5_000;
    while ((await subscribers()) !== 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await subscribers(), 0);

    // The stream itself, with short intervals: heartbeat comments, and a cancel recorded only in Postgres.
    const channels = new JobChannels({ redisUrl: REDIS_URL, prefix: api.deps.config.queuePrefix });
    let closed = false;
    const stream = new JobEventStream(
      id,
      channels,
      api.db,
      null,
      { heartbeatMs: 50, statusCheckMs: 100, retryMs: 1000 },
      () => (closed = true),
    );
    let text = '';
    stream.body.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await stream.open();
    await until(() => text.includes(': heartbeat'), 'a heartbeat comment');
    assert.ok(await api.db.jobs.cancelQueued(id));
    await until(() => closed, 'the stream to end on its own');
    assert.match(text, /event: status\ndata: \{[^\n]*"status":"cancelled"/);
    await channels.close();
  });
});
