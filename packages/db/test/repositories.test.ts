import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from '../src/index.js';
import { claimJob, createTestDatabase, databaseInternals, type TestDatabase } from '../src/testing.js';
import { Prisma } from '../generated/prisma/client.js';
import { columnOf } from '../src/raw-rows.js';
import { JOB_COLUMN_LIST } from '../src/repositories/jobs.js';

let database: TestDatabase;
let db: Database;
let tenantId: string;

before(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url, { max: 8 });
  tenantId = (await db.tenants.findOrCreate('repo-tests')).tenant.id;
});
after(async () => {
  await db?.close();
  await database?.drop();
});

const newJob = (name = 'j') => db.jobs.create({ tenantId, name, spec: { model: { architecture: 'lenet5' } }, architecture: 'lenet5' });

async function queuedJob(name = 'j'): Promise<string> {
  const result = await newJob(name);
  assert.equal(result.kind, 'created');
  return result.kind === 'created' ? result.job.id : '';
}

describe('tenants and keys', () => {
  test('concurrent findOrCreate of one name makes one tenant', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => db.tenants.findOrCreate('race')));
    assert.equal(new Set(results.map((r) => r.tenant.id)).size, 1);
    assert.equal(results.filter((r) => r.created).length, 1);
  });

  test('a key authenticates its tenant until revoked; prefixes revoke too', async () => {
    const { key, apiKey } = await db.tenants.createApiKey(tenantId);
    assert.match(key, /^ty_[A-Za-z0-9_-]{43}$/);
    assert.equal((await db.tenants.authenticate(key))?.tenant.id, tenantId);
    assert.deepEqual(
      await db.tenants.authenticate(key),
      {
        tenant: await databaseInternals(db).prisma.tenant.findUnique({ where: { id: tenantId } }),
        apiKey: await databaseInternals(db).prisma.apiKey.findUnique({ where: { id: apiKey.id } }),
      },
      'the raw query returns what Prisma reads',
    );
    assert.equal(await db.tenants.authenticate(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')), null);
    const other = (await db.tenants.findOrCreate('revoke-other')).tenant;
    assert.equal(await db.tenants.revokeApiKey(other.id, apiKey.prefix), 0, "another tenant's revoke never matches");
    assert.equal(await db.tenants.revokeApiKey(other.id, key), 0);
    assert.equal((await db.tenants.authenticate(key))?.tenant.id, tenantId);
    assert.equal(await db.tenants.revokeApiKey(tenantId, apiKey.prefix), 1);
    assert.equal(await db.tenants.authenticate(key), null);
    assert.equal(await db.tenants.revokeApiKey(tenantId, key), 0, 'already revoked');
  });
});

describe('job transitions', () => {
  test('a created job row has every field with its type', async () => {
    const spec = { model: { architecture: 'lenet5' }, nested: { list: [1, 2] } };
    const result = await db.jobs.create({ tenantId, name: null, spec, architecture: 'lenet5' });
    assert.equal(result.kind, 'created');
    if (result.kind !== 'created') return;
    const job = result.job;
    assert.deepEqual(job, await db.jobs.get(job.id), 'the raw INSERT returns what Prisma reads');
    assert.deepEqual(job.spec, spec);
    assert.ok(job.createdAt instanceof Date);
    assert.equal(job.status, 'queued');
    assert.equal(job.attempts, 0);
    assert.equal(job.enqueuedAt, null);
  });

  test('concurrent creates share statements yet each caller gets its own row; a bad row fails alone', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    const missingDataset = '00000000-0000-4000-8000-000000000000';
    const results = await Promise.allSettled([
      ...names.map((name) => db.jobs.create({ tenantId, name, spec: { name }, architecture: 'lenet5' })),
      db.jobs.create({ tenantId, name: 'bad', spec: {}, architecture: 'lenet5', datasetId: missingDataset }),
    ]);
    const created = results
      .slice(0, names.length)
      .map((r) => (r.status === 'fulfilled' && r.value.kind === 'created' ? r.value.job : null));
    assert.deepEqual(
      created.map((job) => job?.name),
      names,
    );
    assert.deepEqual(
      created.map((job) => (job?.spec as { name: string }).name),
      names,
    );
    assert.equal(new Set(created.map((job) => job?.id)).size, names.length);
    assert.equal(results.at(-1)!.status, 'rejected', 'the row with a dataset that does not exist');
    assert.equal(await databaseInternals(db).prisma.job.count({ where: { name: { startsWith: 'burst-' } } }), names.length);
  });

  test('claim is won by exactly one of many concurrent workers and counts an attempt', async () => {
    const id = await queuedJob();
    const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => claimJob(db, id, `w${i}`)));
    const winners = claims.filter((job) => job !== null);
    assert.equal(winners.length, 1);
    assert.equal(winners[0]!.status, 'running');
    assert.equal(winners[0]!.attempts, 1);
    assert.ok(winners[0]!.startedAt);
  });

  test('only the owning worker moves a running job; finished jobs never move again', async () => {
    const id = await queuedJob();
    await claimJob(db, id, 'owner');
    assert.equal(await db.jobs.heartbeat(id, 'intruder'), false);
    assert.equal(await db.jobs.reportProgress(id, 'intruder', { phase: 'training' }), false);
    assert.equal(await db.jobs.succeed(id, 'intruder', { engine: 'x', evaluation: {} }), false);
    assert.equal(await db.jobs.reportProgress(id, 'owner', { phase: 'evaluating', engine: 'wasm' }), true);
    assert.equal(await db.jobs.succeed(id, 'owner', { engine: 'wasm', evaluation: { top1: 1 } }), true);
    const done = await db.jobs.get(id);
    assert.equal(done?.status, 'succeeded');
    assert.equal(done?.phase, null);
    assert.ok(done?.finishedAt);
    assert.equal(await db.jobs.fail(id, 'owner', { code: 'internal', message: 'late' }), false);
    assert.equal(await db.jobs.cancelQueued(id), false);
    assert.equal(await db.jobs.requestCancel(id), false);
    assert.equal(await db.jobs.requeue(id, { workerId: 'owner' }), false);
  });

  test('cancel: a queued job at once, a running one by request then by its worker', async () => {
    const queued = await queuedJob();
    assert.equal(await db.jobs.cancelQueued(queued), true);
    assert.equal(await claimJob(db, queued, 'w'), null, 'a cancelled job cannot be claimed');

    const running = await queuedJob();
    await claimJob(db, running, 'w');
    assert.equal(await db.jobs.cancelQueued(running), false);
    assert.equal(await db.jobs.requestCancel(running), true);
    assert.equal(await db.jobs.requestCancel(running), false, 'requested once');
    assert.deepEqual(await db.jobs.findCancelRequested([running, queued]), [{ id: running }]);
    assert.equal(await db.jobs.markCancelled(running, 'w'), true);
    assert.equal((await db.jobs.get(running))?.status, 'cancelled');
  });

  test('a stale running job is handed back once, to be claimed again with a second attempt', async () => {
    const id = await queuedJob();
    await claimJob(db, id, 'gone');
    await db.jobs.markEnqueued(id);
    const later = new Date(Date.now() + 60_000);
    assert.ok((await db.jobs.findStale(later)).some((job) => job.id === id));
    assert.equal(await db.jobs.requeue(id, { staleBefore: new Date(Date.now() - 60_000) }), false, 'heartbeat is recent');
    const [a, b] = await Promise.all([db.jobs.requeue(id, { staleBefore: later }), db.jobs.requeue(id, { staleBefore: later })]);
    assert.equal(Number(a) + Number(b), 1);
    const requeued = await db.jobs.get(id);
    assert.equal(requeued?.status, 'queued');
    assert.equal(requeued?.enqueuedAt, null, 'the outbox will enqueue it again');
    assert.equal(await db.jobs.heartbeat(id, 'gone'), false, 'the lost worker can no longer write');
    assert.equal((await claimJob(db, id, 'next'))?.attempts, 2);
  });

  test('idempotency: the same key and body replay, another body conflicts, concurrent creates make one job', async () => {
    const request = { key: 'k1', requestHash: 'h1' };
    const input = { tenantId, name: 'idem', spec: {}, architecture: 'lenet5' };
    const results = await Promise.all(Array.from({ length: 5 }, () => db.jobs.create(input, request)));
    const created = results.filter((r) => r.kind === 'created');
    assert.equal(created.length, 1);
    const ids = new Set(results.map((r) => ('job' in r ? r.job.id : 'conflict')));
    assert.equal(ids.size, 1);
    assert.equal((await db.jobs.create(input, { key: 'k1', requestHash: 'other' })).kind, 'conflict');
    assert.equal(await databaseInternals(db).prisma.job.count({ where: { name: 'idem' } }), 1);
  });

  test('pages newest first, without gaps or repeats, filtered by status; bad cursors are reported', async () => {
    const other = (await db.tenants.findOrCreate('pager')).tenant.id;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await db.jobs.create({ tenantId: other, spec: {}, architecture: 'lenet5' });
      if (r.kind === 'created') ids.push(r.job.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await db.jobs.list(other, { limit: 3, cursor });
      assert.ok(!('invalidCursor' in page));
      seen.push(...page.items.map((job) => job.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    // created_at has millisecond precision: jobs created in the same millisecond are ordered by id.
    const rows = await databaseInternals(db).prisma.job.findMany({ where: { tenantId: other }, select: { id: true, createdAt: true } });
    const newestFirst = rows
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .map((row) => row.id);
    assert.deepEqual(seen, newestFirst);
    assert.deepEqual(new Set(seen), new Set(ids));
    await db.jobs.cancelQueued(ids[3]!);
    const cancelled = await db.jobs.list(other, { limit: 10, status: 'cancelled' });
    assert.ok(!('invalidCursor' in cancelled) && cancelled.items.length === 1);
    assert.deepEqual(await db.jobs.list(other, { limit: 3, cursor: 'bm9wZQ' }), { invalidCursor: true });
  });
});

describe('metrics, checkpoints and models', () => {
  test('one metrics row per epoch: a re-run epoch replaces its row; summaries give latest and best', async () => {
    const id = await queuedJob();
    await claimJob(db, id, 'w');
    const row = (epoch: number, validationAccuracy: number | null, trainAccuracy = 0.5) => ({
      epoch,
      trainLoss: 1,
      trainAccuracy,
      validationLoss: null,
      validationAccuracy,
      learningRate: 0.1,
      seconds: 1,
      imagesPerSecond: 10,
    });
    await db.metrics.recordEpoch(id, 'w', row(1, 0.6));
    await db.metrics.recordEpoch(id, 'w', row(2, 0.9));
    await db.metrics.recordEpoch(id, 'w', row(3, 0.7));
    await db.metrics.recordEpoch(id, 'w', row(2, 0.8)); // epoch 2 again after a resume
    assert.deepEqual(
      (await db.metrics.list(id)).map((m) => [m.epoch, m.validationAccuracy]),
      [
        [1, 0.6],
        [2, 0.8],
        [3, 0.7],
      ],
    );
    const summary = (await db.metrics.summaries([id])).get(id)!;
    assert.equal(summary.latest.epoch, 3);
    assert.equal(summary.best.epoch, 2);
    assert.equal(await db.metrics.deleteAfter(id, 'w', 1), 2);
    assert.deepEqual(
      (await db.metrics.list(id)).map((m) => m.epoch),
      [1],
    );
  });

  test('checkpoints: one per epoch, latest, prune keeps the newest', async () => {
    const id = await queuedJob();
    await claimJob(db, id, 'w');
    for (const epoch of [1, 2, 3]) await db.checkpoints.record(id, 'w', { epoch, step: 0, storageKey: `k${epoch}`, bytes: 5_000_000_000 });
    await db.checkpoints.record(id, 'w', { epoch: 3, step: 7, storageKey: 'k3b', bytes: 1 });
    assert.equal((await db.checkpoints.latest(id))?.storageKey, 'k3b');
    assert.equal(Number((await db.checkpoints.list(id))[0]!.bytes), 5_000_000_000, 'sizes beyond 32 bits');
    assert.deepEqual(
      (await db.checkpoints.prune(id, 'w', 1))?.map((c) => c.epoch),
      [1, 2],
    );
    assert.deepEqual(
      (await db.checkpoints.list(id)).map((c) => c.epoch),
      [3],
    );
  });

  test('a worker that no longer holds the job writes no metrics and no checkpoints, and prunes nothing', async () => {
    const id = await queuedJob();
    await claimJob(db, id, 'first');
    const metrics = {
      epoch: 1,
      trainLoss: 1,
      trainAccuracy: 0.5,
      validationLoss: null,
      validationAccuracy: null,
      learningRate: 0.1,
      seconds: 1,
      imagesPerSecond: 10,
    };
    assert.equal(await db.metrics.recordEpoch(id, 'first', metrics), true);
    assert.ok(await db.checkpoints.record(id, 'first', { epoch: 1, step: 0, storageKey: 'first-1', bytes: 1 }));
    // The job is taken over: handed back, then claimed by another worker.
    assert.ok(await db.jobs.requeue(id, { workerId: 'first' }));
    await claimJob(db, id, 'second');
    assert.equal(await db.metrics.recordEpoch(id, 'first', { ...metrics, epoch: 2 }), false);
    assert.equal(await db.checkpoints.record(id, 'first', { epoch: 2, step: 0, storageKey: 'first-2', bytes: 1 }), null);
    assert.equal(await db.checkpoints.prune(id, 'first', 0), null);
    assert.equal(await db.metrics.deleteAfter(id, 'first', 0), null);
    assert.deepEqual(
      (await db.metrics.list(id)).map((m) => m.epoch),
      [1],
    );
    assert.deepEqual(
      (await db.checkpoints.list(id)).map((c) => c.storageKey),
      ['first-1'],
    );
    // The holder writes; once the job is finished nobody does.
    assert.equal(await db.metrics.deleteAfter(id, 'second', 0), 1);
    assert.ok(await db.jobs.succeed(id, 'second', { engine: 'cpu', evaluation: {} }));
    assert.equal(await db.metrics.recordEpoch(id, 'second', metrics), false);
  });

  test('restoreBestWeights: the epoch of lowest validation loss (earliest on a tie) survives pruning', async () => {
    const id = await queuedJob();
    await claimJob(db, id, 'w');
    for (const [epoch, validationLoss] of [
      [1, 0.9],
      [2, 0.4],
      [3, 0.6],
      [4, 0.4],
      [5, 0.7],
    ] as const) {
      await db.metrics.recordEpoch(id, 'w', {
        epoch,
        trainLoss: 1,
        trainAccuracy: 0.5,
        validationLoss,
        validationAccuracy: 0.5,
        learningRate: 0.1,
        seconds: 1,
        imagesPerSecond: 10,
      });
      await db.checkpoints.record(id, 'w', { epoch, step: 0, storageKey: `k${epoch}`, bytes: 1 });
    }
    const best = await db.metrics.lowestValidationLossEpoch(id);
    assert.equal(best, 2);
    assert.deepEqual(
      (await db.checkpoints.prune(id, 'w', 1, best))!.map((c) => c.epoch),
      [1, 3, 4],
    );
    assert.deepEqual(
      (await db.checkpoints.list(id)).map((c) => c.epoch),
      [2, 5],
    );
    assert.equal(await db.metrics.lowestValidationLossEpoch(await queuedJob()), null, 'no validated epoch');
  });

  test('a model row per job', async () => {
    const id = await queuedJob();
    await db.models.save(id, { storagePrefix: `jobs/${id}/model/`, files: [{ path: 'model.json', bytes: 10 }], manifest: { a: 1 } });
    await db.models.save(id, { storagePrefix: `jobs/${id}/model/`, files: [{ path: 'model.json', bytes: 11 }], manifest: { a: 2 } });
    assert.deepEqual((await db.models.get(id))?.files, [{ path: 'model.json', bytes: 11 }]);
  });
});

describe('raw rows', () => {
  test('every table column is its Prisma field in snake_case, so raw rows read under field names (columnsAs)', async () => {
    const { rows } = await databaseInternals(db).pool.query<{ table: string; column: string }>(
      `SELECT table_name AS table, column_name AS column FROM information_schema.columns WHERE table_schema = current_schema()`,
    );
    const models = { jobs: Prisma.JobScalarFieldEnum, epoch_metrics: Prisma.EpochMetricScalarFieldEnum };
    for (const [table, fields] of Object.entries(models)) {
      const columns = rows.filter((row) => row.table === table).map((row) => row.column);
      assert.deepEqual(columns.sort(), Object.values(fields).map(columnOf).sort(), table);
    }
    const job = await newJob('raw');
    assert.equal(job.kind, 'created');
    const [row] = (
      await databaseInternals(db).pool.query(`SELECT ${JOB_COLUMN_LIST} FROM jobs WHERE id = $1`, [
        job.kind === 'created' ? job.job.id : '',
      ])
    ).rows;
    assert.deepEqual(
      Object.keys(row).sort(),
      Object.values(Prisma.JobScalarFieldEnum)
        .filter((field) => field !== 'evaluation')
        .sort(),
    );
  });
});
