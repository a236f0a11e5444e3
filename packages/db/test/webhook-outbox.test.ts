/**
 * The webhook outbox: every job transition writes its event in its own statement (and only when the
 * transition happened), and the delivery claims are safe with several processes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jobFromJson, openDatabase, recordEvent, TenantLimitError, type Database } from '../src/index.js';
import { claimJob, createTestDatabase, databaseInternals, type TestDatabase } from '../src/testing.js';

let database: TestDatabase;
let db: Database;

before(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url, { max: 8 });
});
after(async () => {
  await db?.close();
  await database?.drop();
});

async function tenant(name: string): Promise<string> {
  return (await db.tenants.findOrCreate(name)).tenant.id;
}

function webhook(tenantId: string, events: Parameters<Database['webhooks']['create']>[0]['events'], maxPerTenant = 20) {
  return db.webhooks.create({ tenantId, url: 'https://example.com/hook', events, description: null, secret: 'whsec_x', maxPerTenant });
}

async function submit(tenantId: string, idempotencyKey?: string): Promise<string> {
  const spec = { model: { architecture: 'lenet5' } };
  const idempotency = idempotencyKey ? { key: idempotencyKey, requestHash: 'h' } : undefined;
  const result = await db.jobs.create({ tenantId, spec, architecture: 'lenet5' }, idempotency);
  assert.equal(result.kind, 'created');
  return result.kind === 'created' ? result.job.id : '';
}

async function events(subjectId: string): Promise<Array<{ type: string; deliveries: number; status: string }>> {
  const { rows } = await databaseInternals(db).pool.query<{ type: string; deliveries: number; status: string }>(
    `SELECT e.type, (SELECT count(*)::int FROM webhook_deliveries d WHERE d.event_id = e.id) AS deliveries, e.data->>'status' AS status
     FROM webhook_events e WHERE e.subject_id = $1::uuid ORDER BY e.created_at, e.type`,
    [subjectId],
  );
  return rows;
}

test('each transition of a subscribed tenant records its event, with one delivery per subscribed webhook', async () => {
  const tenantId = await tenant('outbox-all');
  await webhook(tenantId, ['job.queued', 'job.running', 'job.succeeded', 'job.failed', 'job.cancelled']);
  await webhook(tenantId, ['job.succeeded']);

  const id = await submit(tenantId);
  assert.ok(await claimJob(db, id, 'w1'));
  assert.equal(await db.jobs.requeue(id, { workerId: 'w1' }), true);
  const decision = await db.scheduler.claimIfNext(id, 'w2', { accelerator: 'cpu', maxRunningPerTenant: 10 });
  assert.equal(decision.kind, 'claimed');
  assert.equal(await db.jobs.succeed(id, 'w1', { engine: 'x', evaluation: {} }), false, 'not the holder: no transition, no event');
  assert.equal(await db.jobs.succeed(id, 'w2', { engine: 'cpu', evaluation: { accuracy: 1 } }), true);
  assert.equal(await db.jobs.succeed(id, 'w2', { engine: 'cpu', evaluation: {} }), false, 'twice: the second matches nothing');

  const recorded = await events(id);
  assert.deepEqual(
    recorded.map((event) => [event.type, event.status, event.deliveries]),
    [
      ['job.queued', 'queued', 1],
      ['job.running', 'running', 1],
      ['job.queued', 'queued', 1],
      ['job.running', 'running', 1],
      ['job.succeeded', 'succeeded', 2],
    ],
  );

  const { rows } = await databaseInternals(db).pool.query<{ data: unknown }>(
    `SELECT data FROM webhook_events WHERE subject_id = $1 AND type = 'job.succeeded'`,
    [id],
  );
  const job = jobFromJson(rows[0]!.data);
  assert.deepEqual(job, await db.jobs.get(id), 'the event holds the row as the transition left it');
});

test('failures and cancels from either state, the idempotent submission too', async () => {
  const tenantId = await tenant('outbox-ends');
  await webhook(tenantId, ['job.failed', 'job.cancelled']);
  const failedQueued = await submit(tenantId, 'key-1');
  assert.ok(await db.jobs.fail(failedQueued, null, { code: 'internal', message: 'x' }));
  const failedRunning = await submit(tenantId);
  await claimJob(db, failedRunning, 'w');
  assert.equal(await db.jobs.fail(failedRunning, 'other', { code: 'internal', message: 'x' }), false);
  assert.ok(await db.jobs.fail(failedRunning, 'w', { code: 'out_of_memory', message: 'oom' }));
  const cancelledQueued = await submit(tenantId);
  assert.ok(await db.jobs.cancelQueued(cancelledQueued));
  const cancelledRunning = await submit(tenantId);
  await claimJob(db, cancelledRunning, 'w');
  assert.ok(await db.jobs.markCancelled(cancelledRunning, 'w'));

  assert.deepEqual(await events(failedQueued), [{ type: 'job.failed', status: 'failed', deliveries: 1 }]);
  assert.deepEqual(await events(failedRunning), [{ type: 'job.failed', status: 'failed', deliveries: 1 }]);
  assert.deepEqual(await events(cancelledQueued), [{ type: 'job.cancelled', status: 'cancelled', deliveries: 1 }]);
  assert.deepEqual(await events(cancelledRunning), [{ type: 'job.cancelled', status: 'cancelled', deliveries: 1 }]);
  const failed = await db.jobs.get(failedRunning);
  assert.equal(failed?.errorCode, 'out_of_memory');
  assert.ok(failed?.finishedAt);
});

test('a tenant without a subscribed webhook gets no outbox rows', async () => {
  const tenantId = await tenant('outbox-none');
  await webhook(tenantId, ['job.failed']);
  const id = await submit(tenantId);
  await claimJob(db, id, 'w');
  await db.jobs.succeed(id, 'w', { engine: 'cpu', evaluation: {} });
  assert.deepEqual(await events(id), []);
});

test('MAX_WEBHOOKS_PER_TENANT holds under concurrent creates', async () => {
  const tenantId = await tenant('outbox-limit');
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => webhook(tenantId, ['job.failed'], 3)));
  assert.equal(results.filter((result) => result.status === 'fulfilled').length, 3);
  for (const result of results) {
    if (result.status === 'rejected') assert.ok(result.reason instanceof TenantLimitError && result.reason.kind === 'webhooks');
  }
});

test('claims: one due delivery per webhook, busy webhooks skipped, a lapsed claim cannot record', async () => {
  const tenantId = await tenant('outbox-claims');
  const first = await webhook(tenantId, ['job.queued']);
  const second = await webhook(tenantId, ['job.queued']);
  const client = await databaseInternals(db).pool.connect();
  try {
    await client.query('BEGIN');
    for (let i = 0; i < 3; i += 1) {
      await recordEvent(client, { tenantId, type: 'job.queued', subjectId: crypto.randomUUID(), data: { n: i } });
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }

  const ours = <T extends { webhookId: string }>(rows: T[]) =>
    rows.filter((row) => row.webhookId === first.id || row.webhookId === second.id);
  // Earlier tests' deliveries are due too.
  const claimed = ours(await db.webhooks.claimDue({ limit: 100, busyWebhookIds: [], leaseMs: 60_000 }));
  assert.deepEqual(claimed.map((delivery) => delivery.webhookId).sort(), [first.id, second.id].sort(), 'one per webhook');
  const busy = ours(await db.webhooks.claimDue({ limit: 100, busyWebhookIds: [first.id], leaseMs: 60_000 }));
  assert.deepEqual(
    busy.map((row) => row.webhookId),
    [second.id],
  );
  const parallel = await Promise.all([
    db.webhooks.claimDue({ limit: 100, busyWebhookIds: [], leaseMs: 60_000 }),
    db.webhooks.claimDue({ limit: 100, busyWebhookIds: [], leaseMs: 60_000 }),
  ]);
  const ids = parallel.flat().map((delivery) => delivery.id);
  assert.equal(new Set(ids).size, ids.length, 'two processes never claim one delivery');

  const delivery = claimed[0]!;
  const attempt = { startedAt: new Date(), durationMs: 5, responseStatus: 200, error: null, nextRetryAt: null, delivered: true };
  assert.equal(await db.webhooks.recordAttempt({ id: delivery.id, claimToken: crypto.randomUUID() }, attempt), false, 'not our claim');
  assert.equal(await db.webhooks.recordAttempt(delivery, attempt), true);
  assert.equal(await db.webhooks.recordAttempt(delivery, attempt), false, 'a claim records once');
  assert.equal(await db.webhooks.setEventBody(delivery.eventId, 'first'), 'first');
  assert.equal(await db.webhooks.setEventBody(delivery.eventId, 'second'), 'first', 'the first rendering is kept');

  const page = await db.webhooks.listDeliveries(delivery.webhookId, { limit: 10 });
  assert.ok(!('invalidCursor' in page));
  const listed = page.items.find((item) => item.id === delivery.id)!;
  assert.equal(listed.status, 'delivered');
  assert.equal(listed.attempts.length, 1);
  assert.equal(listed.attempts[0]!.responseStatus, 200);
});
