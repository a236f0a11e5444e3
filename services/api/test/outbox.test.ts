/**
 * A job is accepted even when the queue is down: the row is written with enqueued_at NULL and the
 * outbox (enqueuePending) enqueues it once the queue answers again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { openApiQueue } from '../src/queue-adapter.js';
import { enqueuePending } from '../src/background/enqueue-pending.js';
import { REDIS_URL } from './helpers.js';

let api: TestApi;

before(async () => {
  // Redis on a port where nothing listens: every enqueue fails.
  api = await startTestApi({}, { queue: openApiQueue({ redisUrl: 'redis://127.0.0.1:1', prefix: 'unreachable' }, 500) });
});
after(async () => api?.close());

test('a submission while the queue is down answers 201, and the outbox enqueues the job later', async () => {
  const auth = await api.authFor('outbox');
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: lenetJob(),
  });
  assert.equal(res.statusCode, 201, res.body);
  const id = res.json().id as string;
  const row = await api.db.jobs.get(id);
  assert.equal(row?.status, 'queued');
  assert.equal(row?.enqueuedAt, null, 'not marked enqueued');
  assert.equal(await api.inspector.state(id), 'missing');

  // The queue is back (the test queue's prefix is the one the inspector watches).
  const working = openApiQueue({ redisUrl: REDIS_URL, prefix: api.deps.config.queuePrefix });
  try {
    const deps = { db: api.db, queue: working, logger: api.deps.logger };
    assert.equal(await enqueuePending(deps, new Date()), 0, 'a job younger than the grace period is left to its request');
    assert.equal(await enqueuePending(deps, new Date(Date.now() + 60_000)), 1);
    assert.equal(await api.inspector.state(id), 'waiting');
    assert.ok((await api.db.jobs.get(id))?.enqueuedAt);
    assert.equal(await enqueuePending(deps, new Date(Date.now() + 60_000)), 0, 'nothing left to enqueue');
  } finally {
    await working.close();
  }
});

test('a cancelled job is never enqueued by the outbox', async () => {
  const auth = await api.authFor('outbox-cancel');
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: lenetJob(),
  });
  const id = res.json().id as string;
  const cancel = await api.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: auth });
  assert.equal(cancel.statusCode, 200, cancel.body);
  const working = openApiQueue({ redisUrl: REDIS_URL, prefix: api.deps.config.queuePrefix });
  try {
    await enqueuePending({ db: api.db, queue: working, logger: api.deps.logger }, new Date(Date.now() + 60_000));
    assert.equal(await api.inspector.state(id), 'missing');
  } finally {
    await working.close();
  }
});
