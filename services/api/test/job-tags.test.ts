/**
 * Tags (at submit, merged by PATCH), the list's filters (tag, architecture, status, metric range), its
 * two sorts with cursor paging, and GET /v1/jobs/compare, on a real Postgres through the real API.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EpochMetricsView } from '@trainyard/contracts';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { claimJob } from '@trainyard/db/testing';

let api: TestApi;
let alice: { authorization: string };
let mallory: { authorization: string };

before(async () => {
  api = await startTestApi({ MAX_QUEUED_JOBS_PER_TENANT: '1000' });
  alice = await api.authFor('alice');
  mallory = await api.authFor('mallory');
});
after(async () => api?.close());

async function submit(body: Record<string, unknown>, auth = alice) {
  return api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

async function submitted(body: Record<string, unknown>, auth = alice): Promise<{ id: string; tags: Record<string, string> }> {
  const res = await submit(body, auth);
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

async function patch(id: string, body: unknown, auth = alice) {
  return api.app.inject({
    method: 'PATCH',
    url: `/v1/jobs/${id}`,
    headers: { ...auth, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

async function get(url: string, auth = alice) {
  return api.app.inject({ method: 'GET', url, headers: auth });
}

function epoch(epoch: number, values: Partial<EpochMetricsView> = {}): EpochMetricsView {
  return {
    epoch,
    trainLoss: 1 / epoch,
    trainAccuracy: 0.5,
    validationLoss: 0.9,
    validationAccuracy: 0.5,
    learningRate: 0.001,
    seconds: 1,
    imagesPerSecond: 100,
    ...values,
  };
}

/** Runs the job as worker `w` through the given epochs, then ends it `succeeded` (or leaves it running). */
async function trained(id: string, epochs: EpochMetricsView[], end: 'succeeded' | 'running' = 'succeeded') {
  assert.ok(await claimJob(api.db, id, 'w'));
  for (const row of epochs) assert.ok(await api.db.metrics.recordEpoch(id, 'w', row));
  if (end === 'succeeded') {
    const evaluation = { top1: 0.75, top5: 1, loss: 0.6, classNames: [], perClass: [], confusionMatrix: [] };
    assert.ok(await api.db.jobs.succeed(id, 'w', { engine: 'wasm', evaluation }));
  }
}

/** Every job of a listing, page by page (`limit` per page), following nextCursor. */
async function allPages(query: string, limit: number, auth = alice): Promise<Array<{ id: string; [key: string]: any }>> {
  const jobs = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const res = await get(`/v1/jobs?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, auth);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.ok(body.jobs.length <= limit);
    jobs.push(...body.jobs);
    cursor = body.nextCursor;
    if (!cursor) return jobs;
  }
  throw new Error('more pages than expected');
}

describe('tags', () => {
  test('tags given at submit are on the job, not in its spec', async () => {
    const job = await submitted(lenetJob({ tags: { project: 'fashion', 'team/owner': 'ana:b' } }));
    assert.deepEqual(job.tags, { project: 'fashion', 'team/owner': 'ana:b' });
    const read = (await get(`/v1/jobs/${job.id}`)).json();
    assert.deepEqual(read.tags, job.tags);
    assert.equal('tags' in read.spec, false);
    assert.deepEqual((await submitted(lenetJob())).tags, {});
  });

  test('bad keys and values answer invalid_tag, too many tags tags_limit', async () => {
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ['a key with a colon', { 'a:b': 'x' }, 400, 'invalid_tag'],
      ['an empty key', { '': 'x' }, 400, 'invalid_tag'],
      ['a key of 65 characters', { ['k'.repeat(65)]: 'x' }, 400, 'invalid_tag'],
      ['a value of 257 characters', { key: 'v'.repeat(257) }, 400, 'invalid_tag'],
      ['a number for a value', { key: 1 }, 400, 'invalid_tag'],
      ['51 tags', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])), 422, 'tags_limit'],
    ];
    for (const [what, tags, status, code] of cases) {
      const res = await submit(lenetJob({ tags }));
      assert.equal(res.statusCode, status, `${what}: ${res.body}`);
      assert.equal(res.json().error.code, code, what);
    }
    const limitAnswer = await submit(lenetJob({ tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }));
    assert.deepEqual(limitAnswer.json().error.details, { limit: 50 });
    const longest = await submit(lenetJob({ tags: { ['k'.repeat(64)]: 'v'.repeat(256) } }));
    assert.equal(longest.statusCode, 201, longest.body);
    // Another field wrong as well: the general code.
    const mixed = await submit(lenetJob({ tags: { 'a:b': 'x' }, hyperparameters: { epoch: 3 } }));
    assert.equal(mixed.json().error.code, 'validation_failed');
  });

  test('PATCH merges: a string adds or replaces a key, null deletes it, the rest stays', async () => {
    const job = await submitted(lenetJob({ tags: { project: 'fashion', stage: 'draft', owner: 'ana' } }));
    const res = await patch(job.id, { tags: { stage: 'candidate', owner: null, lr: '0.01', missing: null } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().tags, { project: 'fashion', stage: 'candidate', lr: '0.01' });
    assert.deepEqual((await get(`/v1/jobs/${job.id}`)).json().tags, { project: 'fashion', stage: 'candidate', lr: '0.01' });
    assert.deepEqual((await patch(job.id, { tags: {} })).json().tags, { project: 'fashion', stage: 'candidate', lr: '0.01' });
  });

  test('PATCH refuses what submit refuses, counts the merged tags, and hides other tenants’ jobs', async () => {
    const job = await submitted(lenetJob({ tags: Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v'])) }));
    const over = await patch(job.id, { tags: { a: '1', b: '2' } });
    assert.equal(over.statusCode, 422, over.body);
    assert.equal(over.json().error.code, 'tags_limit');
    // Deleting one while adding two stays within 50.
    const swapped = await patch(job.id, { tags: { k0: null, a: '1', b: '2' } });
    assert.equal(swapped.statusCode, 200, swapped.body);
    assert.equal(Object.keys(swapped.json().tags).length, 50);

    for (const [body, code] of [
      [{ tags: { 'bad key': 'x' } }, 'invalid_tag'],
      [{ tags: { key: 5 } }, 'invalid_tag'],
      [{ tags: { key: 'v'.repeat(257) } }, 'invalid_tag'],
      [{ name: 'x' }, 'validation_failed'],
      [{ tags: 'x' }, 'validation_failed'],
    ] as const) {
      const res = await patch(job.id, body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, code, JSON.stringify(body));
    }
    const empty = await api.app.inject({ method: 'PATCH', url: `/v1/jobs/${job.id}`, headers: alice });
    assert.equal(empty.statusCode, 415, empty.body);

    const foreign = await patch(job.id, { tags: { mine: 'now' } }, mallory);
    assert.equal(foreign.statusCode, 404, foreign.body);
    assert.equal(foreign.json().error.code, 'not_found');
    assert.equal((await patch('not-a-uuid', { tags: {} })).statusCode, 404);
    assert.equal((await get(`/v1/jobs/${job.id}`)).json().tags.mine, undefined);
  });
});

describe('GET /v1/jobs filters and sorts', () => {
  const ids: Record<string, string> = {};
  const accuracy: Record<string, number> = {};
  // A tenant of its own, so that the jobs of the tests above stay out of these lists.
  let tenant: { authorization: string };
  const list = (query: string, limit: number) => allPages(query, limit, tenant);
  /** The names in the order of a metric sort: by accuracy, ties by id, both in `direction`. */
  const byAccuracy = (chosen: string, direction: 1 | -1) =>
    [...chosen].sort((a, b) => direction * (accuracy[a]! - accuracy[b]!) || direction * (ids[a]! < ids[b]! ? -1 : 1)).join('');

  before(async () => {
    tenant = await api.authFor('filters');
    const defs: Array<[name: string, architecture: string, tags: Record<string, string>, accuracy: number | null]> = [
      ['a', 'lenet5', { project: 'x', stage: 'prod' }, 0.5],
      ['b', 'lenet5', { project: 'x' }, 0.7],
      ['c', 'resnet18', { project: 'x', stage: 'prod' }, 0.7],
      ['d', 'resnet18', { project: 'y' }, 0.7],
      ['e', 'lenet5', { project: 'y', stage: 'prod' }, 0.9],
      ['f', 'lenet5', { project: 'x' }, 0.3],
      ['g', 'lenet5', { project: 'x' }, null],
    ];
    for (const [name, architecture, tags, value] of defs) {
      const job = await submitted(lenetJob({ name, tags, model: { architecture } }), tenant);
      ids[name] = job.id;
      if (value !== null) {
        accuracy[name] = value;
        // Epoch 1 says otherwise: the last epoch is the one that counts.
        await trained(job.id, [epoch(1, { validationAccuracy: 1 - value }), epoch(2, { validationAccuracy: value })]);
      }
    }
  });

  const names = (jobs: Array<{ id: string }>) => jobs.map((job) => Object.keys(ids).find((name) => ids[name] === job.id)).join('');

  test('tag filters (repeatable: every one must match), architecture and status, newest first, paged', async () => {
    assert.equal(names(await list('tag=project:x', 2)), 'gfcba');
    assert.equal(names(await list('tag=project:x&tag=stage:prod', 1)), 'ca');
    assert.equal(names(await list('tag=stage:prod&architecture=lenet5', 1)), 'ea');
    assert.equal(names(await list('architecture=resnet18', 5)), 'dc');
    assert.equal(names(await list('status=queued', 5)), 'g');
    assert.equal(names(await list('status=succeeded&tag=project:y', 5)), 'ed');
    assert.equal(names(await list('tag=project:z', 5)), '');
    // A value may hold colons: the filter splits at the first one.
    assert.equal(names(await list('tag=project:x:y', 5)), '');
    const page = await get('/v1/jobs?tag=stage', tenant);
    assert.equal(page.statusCode, 400, 'key:value');
    assert.equal(page.json().error.code, 'validation_failed');
  });

  test('metric range: min and max on the last epoch’s value, inclusive', async () => {
    assert.equal(names(await list('metric=validationAccuracy&min=0.7', 5)), 'edcb');
    assert.equal(names(await list('metric=validationAccuracy&min=0.4&max=0.7&tag=project:x', 1)), 'cba');
    assert.equal(names(await list('metric=validationAccuracy&max=0.35', 5)), 'f');
    // Epoch 1's values are not the job's.
    assert.equal(names(await list('metric=validationAccuracy&min=0.95', 5)), '');
    const unnamed = await get('/v1/jobs?min=0.5');
    assert.equal(unnamed.statusCode, 400);
    assert.equal(unnamed.json().error.code, 'validation_failed');
    assert.equal((await get('/v1/jobs?metric=accuracy&min=0.5')).statusCode, 400);
  });

  test('sort by a metric, descending and ascending, pages on (value, id) through ties', async () => {
    for (const limit of [1, 2, 3, 10]) {
      assert.equal(names(await list('sort=metric:validationAccuracy:desc', limit)), byAccuracy('abcdef', -1), `desc, ${limit} a page`);
      assert.equal(names(await list('sort=metric:validationAccuracy:asc', limit)), byAccuracy('abcdef', 1), `asc, ${limit} a page`);
    }
    const filtered = await list('sort=metric:validationAccuracy:desc&tag=project:x&metric=validationAccuracy&min=0.5', 1);
    assert.equal(names(filtered), byAccuracy('abc', -1));
    // trainLoss of the last epoch is 1/2 for all of them: the order is by id alone.
    const byLoss = await list('sort=metric:trainLoss:asc', 4);
    assert.deepEqual(
      byLoss.map((job) => job.id),
      [...byLoss.map((job) => job.id)].sort(),
    );
    assert.equal(byLoss.length, 6);
    // Every answer is the full job, as the default list has it.
    assert.equal(byLoss[0]!.metrics.latest.epoch, 2);
  });

  test('a cursor belongs to its sort; a forged one is refused', async () => {
    const byDate = (await get('/v1/jobs?limit=1', tenant)).json();
    const byMetric = (await get('/v1/jobs?limit=1&sort=metric:validationAccuracy:desc', tenant)).json();
    for (const url of [
      `/v1/jobs?sort=metric:validationAccuracy:desc&cursor=${byDate.nextCursor}`,
      `/v1/jobs?cursor=${byMetric.nextCursor}`,
      `/v1/jobs?sort=metric:validationAccuracy:asc&cursor=${byMetric.nextCursor}`,
      `/v1/jobs?sort=metric:validationAccuracy:desc&cursor=${Buffer.from('["validationAccuracy:desc","x","y"]').toString('base64url')}`,
    ]) {
      const res = await get(url, tenant);
      assert.equal(res.statusCode, 400, url);
      assert.equal(res.json().error.code, 'validation_failed');
    }
    assert.equal((await get('/v1/jobs?sort=metric:validationAccuracy')).statusCode, 400);
  });

  test('a resumed job’s final metrics follow its epochs', async () => {
    const job = await submitted(lenetJob({ tags: { resumed: 'yes' } }), tenant);
    await trained(job.id, [epoch(1, { validationAccuracy: 0.2 }), epoch(2, { validationAccuracy: 0.95 })], 'running');
    assert.equal((await list('tag=resumed:yes&metric=validationAccuracy&min=0.9', 5)).length, 1);
    // Resumed from epoch 1's checkpoint: epoch 2 goes, epoch 1 is the last one again.
    assert.equal(await api.db.metrics.deleteAfter(job.id, 'w', 1), 1);
    assert.equal((await list('tag=resumed:yes&metric=validationAccuracy&min=0.9', 5)).length, 0);
    assert.equal((await list('tag=resumed:yes&metric=validationAccuracy&max=0.2', 5)).length, 1);
  });

  test('another tenant sees none of these jobs whatever the filter', async () => {
    assert.deepEqual((await get('/v1/jobs?tag=project:x', mallory)).json().jobs, []);
    assert.deepEqual((await get('/v1/jobs?sort=metric:validationAccuracy:desc', mallory)).json().jobs, []);
  });
});

describe('GET /v1/jobs/compare', () => {
  test('spec differences, curves aligned by epoch, final metrics; in the order asked', async () => {
    const tenant = await api.authFor('compare');
    const slow = await submitted(
      lenetJob({ name: 'slow', tags: { run: '1' }, hyperparameters: { epochs: 3, learningRate: 0.001 } }),
      tenant,
    );
    const fast = await submitted(lenetJob({ name: 'fast', hyperparameters: { epochs: 2, learningRate: 0.01 } }), tenant);
    const queued = await submitted(lenetJob({ name: 'queued', hyperparameters: { epochs: 3, learningRate: 0.001 } }), tenant);
    await trained(slow.id, [
      epoch(1, { validationAccuracy: 0.4 }),
      epoch(2, { validationAccuracy: 0.5 }),
      epoch(3, { validationAccuracy: 0.6 }),
    ]);
    await trained(fast.id, [epoch(1, { validationAccuracy: 0.7 }), epoch(2, { validationAccuracy: 0.8 })], 'running');

    const res = await get(`/v1/jobs/compare?ids=${fast.id},${slow.id},${queued.id},${fast.id}`, tenant);
    assert.equal(res.statusCode, 200, res.body);
    const comparison = res.json();
    assert.deepEqual(comparison.differences, ['hyperparameters.epochs', 'hyperparameters.learningRate']);
    assert.deepEqual(comparison.epochs, [1, 2, 3]);
    assert.deepEqual(
      comparison.jobs.map((job: any) => [job.name, job.status]),
      [
        ['fast', 'running'],
        ['slow', 'succeeded'],
        ['queued', 'queued'],
      ],
    );
    const [fastView, slowView, queuedView] = comparison.jobs;
    assert.deepEqual(fastView.specDifferences, { 'hyperparameters.epochs': 2, 'hyperparameters.learningRate': 0.01 });
    assert.deepEqual(slowView.specDifferences, { 'hyperparameters.epochs': 3, 'hyperparameters.learningRate': 0.001 });
    assert.deepEqual(
      fastView.curve.map((row: EpochMetricsView | null) => row?.validationAccuracy ?? null),
      [0.7, 0.8, null],
    );
    assert.deepEqual(
      slowView.curve.map((row: EpochMetricsView | null) => row?.epoch),
      [1, 2, 3],
    );
    assert.deepEqual(queuedView.curve, [null, null, null]);
    assert.equal(fastView.finalMetrics.epoch, 2);
    assert.equal(slowView.finalMetrics.validationAccuracy, 0.6);
    assert.equal(queuedView.finalMetrics, null);
    assert.deepEqual(slowView.evaluation, { top1: 0.75, top5: 1, loss: 0.6 });
    assert.equal(fastView.evaluation, null);
    assert.deepEqual(slowView.tags, { run: '1' });

    // One job: nothing differs.
    const one = (await get(`/v1/jobs/compare?ids=${slow.id}`, tenant)).json();
    assert.deepEqual([one.differences, one.epochs, one.jobs.length], [[], [1, 2, 3], 1]);
  });

  test('another tenant’s or an unknown id answers 404; more than 10 ids or none, 400; compare is not a job id', async () => {
    const job = await submitted(lenetJob());
    const foreign = await get(`/v1/jobs/compare?ids=${job.id}`, mallory);
    assert.equal(foreign.statusCode, 404, foreign.body);
    assert.equal(foreign.json().error.code, 'not_found');
    const mine = await submitted(lenetJob(), mallory);
    assert.equal((await get(`/v1/jobs/compare?ids=${mine.id},${job.id}`, mallory)).statusCode, 404);
    assert.equal((await get(`/v1/jobs/compare?ids=${mine.id},nope`, mallory)).statusCode, 404);
    assert.equal((await get(`/v1/jobs/compare?ids=${mine.id}`, mallory)).statusCode, 200);

    const eleven = Array.from({ length: 11 }, (_, i) => `${mine.id.slice(0, -2)}${String(i).padStart(2, '0')}`);
    for (const url of [
      `/v1/jobs/compare?ids=${eleven.join(',')}`,
      '/v1/jobs/compare?ids=,',
      '/v1/jobs/compare',
      `/v1/jobs/compare?ids=${mine.id},,x`,
    ]) {
      const res = await get(url, mallory);
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.equal(res.json().error.code, 'validation_failed');
    }
  });
});
