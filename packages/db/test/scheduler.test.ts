import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Accelerator } from '@trainyard/contracts';
import { openDatabase, type Database, type SchedulingPolicy } from '../src/index.js';
import { createTestDatabase, databaseInternals, type TestDatabase } from '../src/testing.js';

let database: TestDatabase;
let db: Database;

before(async () => {
  database = await createTestDatabase();
  db = openDatabase(database.url, { max: 12 });
});
after(async () => {
  await db?.close();
  await database?.drop();
});
// Every test starts with no jobs: the scheduler looks at all of them.
beforeEach(async () => {
  await databaseInternals(db).prisma.job.deleteMany({});
});

const cpu: SchedulingPolicy = { accelerator: 'cpu', maxRunningPerTenant: 100 };
const gpu: SchedulingPolicy = { accelerator: 'gpu', maxRunningPerTenant: 100 };

async function tenant(name: string): Promise<string> {
  return (await db.tenants.findOrCreate(name)).tenant.id;
}

async function submit(tenantId: string, name: string, accelerator: Accelerator = 'any'): Promise<string> {
  const result = await db.jobs.create({ tenantId, name, spec: {}, architecture: 'lenet5', accelerator });
  assert.equal(result.kind, 'created');
  return result.kind === 'created' ? result.job.id : '';
}

/** What one free worker after another runs: each claims the job the scheduler names. */
async function runOrder(policy: SchedulingPolicy, count: number, finishEach: boolean): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const next = await db.scheduler.next(policy);
    if (!next) break;
    const decision = await db.scheduler.claimIfNext(next, `w${i}`, policy);
    assert.equal(decision.kind, 'claimed');
    if (decision.kind !== 'claimed') break;
    names.push(decision.job.name!);
    if (finishEach) assert.ok(await db.jobs.succeed(decision.job.id, `w${i}`, { engine: 'cpu', evaluation: {} }));
  }
  return names;
}

describe('the scheduler', () => {
  test('tenants take turns: B submitted after A queued three, yet runs second with one worker', async () => {
    const a = await tenant('fair-a');
    const b = await tenant('fair-b');
    for (const name of ['a1', 'a2', 'a3']) await submit(a, name);
    await submit(b, 'b1');
    assert.deepEqual(await runOrder(cpu, 4, true), ['a1', 'b1', 'a2', 'a3']);
  });

  test('the tenant with the fewest running jobs goes first; submission order within a tenant', async () => {
    const a = await tenant('few-a');
    const b = await tenant('few-b');
    const c = await tenant('few-c');
    for (const name of ['a1', 'a2', 'a3', 'a4']) await submit(a, name);
    for (const name of ['b1', 'b2']) await submit(b, name);
    await submit(c, 'c1');
    // Nothing finishes: running counts grow, so each round serves every tenant once.
    assert.deepEqual(await runOrder(cpu, 7, false), ['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
  });

  test('a worker is offered only its class and the "any" jobs', async () => {
    const t = await tenant('classes');
    const onGpu = await submit(t, 'gpu-only', 'gpu');
    await submit(t, 'cpu-only', 'cpu');
    await submit(t, 'either', 'any');
    assert.deepEqual(await runOrder(cpu, 5, false), ['cpu-only', 'either']);
    const decision = await db.scheduler.claimIfNext(onGpu, 'cpu-worker', cpu);
    assert.deepEqual(decision, { kind: 'other_class', accelerator: 'gpu', next: null });
    assert.deepEqual(await runOrder(gpu, 5, false), ['gpu-only']);
  });

  test('the entry a worker holds is claimed only if it goes next; otherwise the decision names the job that does', async () => {
    const a = await tenant('entry-a');
    const b = await tenant('entry-b');
    const a1 = await submit(a, 'a1');
    const a2 = await submit(a, 'a2');
    const b1 = await submit(b, 'b1');
    assert.equal((await db.scheduler.claimIfNext(a1, 'w1', cpu)).kind, 'claimed');
    assert.deepEqual(await db.scheduler.claimIfNext(a2, 'w2', cpu), { kind: 'not_next', next: b1 });
    // b1's entry is busy elsewhere: skipped, a2 is next after all.
    assert.equal((await db.scheduler.claimIfNext(a2, 'w2', cpu, [b1])).kind, 'claimed');
    assert.deepEqual(await db.scheduler.claimIfNext(a2, 'w3', cpu), { kind: 'not_queued' });
  });

  test('MAX_RUNNING_JOBS_PER_TENANT is absolute, even for workers claiming at the same moment', async () => {
    const busy = await tenant('cap-busy');
    const other = await tenant('cap-other');
    const capped: SchedulingPolicy = { accelerator: 'cpu', maxRunningPerTenant: 2 };
    const jobs = await Promise.all(Array.from({ length: 6 }, (_, i) => submit(busy, `busy-${i}`)));
    const results = await Promise.all(
      jobs.map((id, i) =>
        db.scheduler.claimIfNext(
          id,
          `w${i}`,
          capped,
          jobs.filter((other) => other !== id),
        ),
      ),
    );
    assert.equal(results.filter((r) => r.kind === 'claimed').length, 2);
    const limited = results.filter((r) => r.kind === 'limited');
    assert.equal(limited.length, 4);
    assert.ok(limited.every((r) => r.kind === 'limited' && r.limit === 2 && r.running === 2));
    assert.equal(await db.jobs.countWithStatus(busy, ['running']), 2);
    assert.equal(await db.scheduler.next(capped), null, 'nothing of the capped tenant is offered');
    const otherJob = await submit(other, 'other');
    assert.equal(await db.scheduler.next(capped), otherJob, 'other tenants are not held up');
  });

  test('a job retried after a failure is not chosen before its backoff ends', async () => {
    const t = await tenant('backoff');
    const first = await submit(t, 'first');
    const second = await submit(t, 'second');
    assert.equal((await db.scheduler.claimIfNext(first, 'w1', cpu)).kind, 'claimed');
    assert.ok(await db.jobs.requeue(first, { workerId: 'w1' }, new Date(Date.now() + 60_000)));
    assert.equal(await db.scheduler.next(cpu), second);
    assert.equal((await db.scheduler.claimIfNext(second, 'w2', cpu)).kind, 'claimed');
    // The queue handed out the backing-off entry and nothing else may run: it runs.
    const decision = await db.scheduler.claimIfNext(first, 'w3', cpu);
    assert.equal(decision.kind, 'claimed');
    assert.equal(decision.kind === 'claimed' && decision.job.notBefore, null);
  });
});
