/**
 * /v1/sweeps against a real Postgres and queue: planning and checks at submission, trials created as
 * they may start (maxConcurrentTrials, MAX_QUEUED_JOBS_PER_TENANT), cancel, paging, and ASHA decisions
 * taken concurrently. The sweep loop is called directly (advanceSweep), as the API's background loop
 * calls it; training itself is tested end to end in services/worker/test/sweeps.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ashaContinues, type SweepDecisionView, type SweepView } from '@trainyard/contracts';
import { claimJob } from '@trainyard/db/testing';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { advanceSweep } from '../src/sweeps/advance-sweep.js';

let api: TestApi;
let auth: { authorization: string };

before(async () => {
  api = await startTestApi({ MAX_QUEUED_JOBS_PER_TENANT: '4', MAX_EPOCHS: '20', WEBHOOK_ALLOW_PRIVATE: 'true' });
  auth = await api.authFor('sweeper');
});
after(async () => api?.close());

function call(method: 'GET' | 'POST', url: string, body?: unknown, headers = auth) {
  return api.app.inject({
    method,
    url,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

const gridSweep = (extra: Record<string, unknown> = {}) => ({
  name: 'optimizers',
  base: lenetJob({ hyperparameters: { epochs: 1, validationSplit: 0.1 } }),
  space: { 'hyperparameters.optimizer': { type: 'choice', values: ['adam', 'sgd', 'rmsprop'] } },
  searcher: { type: 'grid' },
  metric: 'validationAccuracy',
  maxConcurrentTrials: 2,
  ...extra,
});

/** The sweep's trial jobs, by trial: { jobId, trial, status... }. */
function trialsOf(sweepId: string) {
  return api.db.sweeps.trials(sweepId, 'trainLoss');
}

describe('POST /v1/sweeps refuses what could not run, before anything is written', () => {
  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['a grid over a range', { space: { 'hyperparameters.learningRate': { type: 'uniform', min: 0.001, max: 0.1 } } }, 'invalid_option'],
    ['a path outside the job spec', { space: { 'hyperparameters.bogus': { type: 'choice', values: [1, 2] } } }, 'validation_failed'],
    ['a value of the wrong type', { space: { 'hyperparameters.epochs': { type: 'choice', values: ['two'] } } }, 'validation_failed'],
    [
      'an unknown architecture among the choices',
      { space: { 'model.architecture': { type: 'choice', values: ['lenet5', 'nope'] } } },
      'unknown_architecture',
    ],
    [
      'maxEpochs above MAX_EPOCHS',
      {
        searcher: { type: 'asha', trials: 3, maxEpochs: 50 },
        space: { 'hyperparameters.learningRate': { type: 'uniform', min: 0.001, max: 0.01 } },
      },
      'hyperparameter_limit',
    ],
    ['a validation metric without a validation split', { base: lenetJob({ hyperparameters: { validationSplit: 0 } }) }, 'invalid_option'],
    ['a prototype path', { space: { '__proto__.x': { type: 'choice', values: [1] } } }, 'invalid_option'],
    ['an unknown searcher', { searcher: { type: 'bayes' } }, 'validation_failed'],
    ['an unknown metric', { metric: 'top5' }, 'validation_failed'],
  ];
  for (const [what, change, code] of refused) {
    test(what, async () => {
      const res = await call('POST', '/v1/sweeps', gridSweep(change));
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, code, res.body);
    });
  }
  test('nothing was written', async () => {
    assert.deepEqual((await call('GET', '/v1/sweeps')).json().sweeps, []);
    assert.deepEqual((await call('GET', '/v1/jobs')).json().jobs, []);
  });
});

describe('a grid sweep', () => {
  let sweep: SweepView;

  test('starts maxConcurrentTrials trials at once, each an ordinary queued job with its sweepId', async () => {
    const res = await call('POST', '/v1/sweeps', gridSweep());
    assert.equal(res.statusCode, 201, res.body);
    sweep = res.json();
    assert.equal(res.headers.location, `/v1/sweeps/${sweep.id}`);
    assert.equal(sweep.status, 'running');
    assert.deepEqual(sweep.trials, { planned: 3, created: 2 });
    assert.equal(sweep.goal, 'maximize');
    assert.deepEqual(sweep.searcher, { type: 'grid' });
    assert.equal(sweep.best, null);
    assert.deepEqual(
      sweep.leaderboard.map((entry) => [entry.trial, entry.status, entry.hyperparameters]),
      [
        [0, 'queued', { 'hyperparameters.optimizer': 'adam' }],
        [1, 'queued', { 'hyperparameters.optimizer': 'sgd' }],
      ],
    );
    const job = (await call('GET', `/v1/jobs/${sweep.leaderboard[1]!.jobId}`)).json();
    assert.equal(job.sweepId, sweep.id);
    assert.equal(job.stopReason, null);
    assert.equal(job.name, 'optimizers trial 1');
    assert.equal(job.spec.hyperparameters.optimizer, 'sgd');
    assert.equal(await api.inspector.state(job.id), 'waiting');
  });

  test('creates the next trial only when one has ended', async () => {
    await advanceSweep(api.deps, sweep.id);
    assert.equal((await trialsOf(sweep.id)).length, 2);
    const first = sweep.leaderboard[0]!.jobId;
    assert.equal((await call('POST', `/v1/jobs/${first}/cancel`)).statusCode, 200);
    await advanceSweep(api.deps, sweep.id);
    const trials = await trialsOf(sweep.id);
    assert.deepEqual(
      trials.map((job) => [job.trial, job.status]),
      [
        [0, 'cancelled'],
        [1, 'queued'],
        [2, 'queued'],
      ],
    );
    // Concurrent loops (two API processes) never create a trial twice.
    await Promise.all([advanceSweep(api.deps, sweep.id), advanceSweep(api.deps, sweep.id)]);
    assert.equal((await trialsOf(sweep.id)).length, 3);
  });

  test("GET /v1/jobs?sweepId= lists the sweep's trials and nothing else, with the other filters", async () => {
    const outside = await call('POST', '/v1/jobs', lenetJob({ hyperparameters: { epochs: 1 } }));
    assert.equal(outside.statusCode, 201, outside.body);
    const listed = (query: string) => call('GET', `/v1/jobs?${query}`).then((res) => res.json() as { jobs: { id: string }[] });
    const trialIds = (await trialsOf(sweep.id)).map((trial) => trial.jobId).sort();
    const all = await listed(`sweepId=${sweep.id}`);
    assert.deepEqual(all.jobs.map((job) => job.id).sort(), trialIds);
    const queued = await listed(`sweepId=${sweep.id}&status=queued`);
    assert.equal(queued.jobs.length, 2);
    assert.equal((await listed(`sweepId=${outside.json().id}`)).jobs.length, 0, 'a job id is no sweep');
    assert.equal((await call('GET', '/v1/jobs?sweepId=nope')).statusCode, 400);
    await call('POST', `/v1/jobs/${outside.json().id}/cancel`);
  });

  test('cancel stops its trials and creates none after, with its webhook event; a second cancel is 409', async () => {
    const hook = await call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['sweep.cancelled'] });
    assert.equal(hook.statusCode, 201, hook.body);
    const res = await call('POST', `/v1/sweeps/${sweep.id}/cancel`);
    assert.equal(res.statusCode, 200, res.body);
    const cancelled: SweepView = res.json();
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(cancelled.finishedAt);
    assert.deepEqual(
      cancelled.leaderboard.map((entry) => entry.status),
      ['cancelled', 'cancelled', 'cancelled'],
    );
    await advanceSweep(api.deps, sweep.id);
    assert.equal((await trialsOf(sweep.id)).length, 3);
    const deliveries = (await call('GET', `/v1/webhooks/${hook.json().id}/deliveries`)).json().deliveries as Array<{
      eventType: string;
      subjectId: string;
    }>;
    assert.deepEqual(
      deliveries.map((delivery) => [delivery.eventType, delivery.subjectId]),
      [['sweep.cancelled', sweep.id]],
    );
    const again = await call('POST', `/v1/sweeps/${sweep.id}/cancel`);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'sweep_not_cancellable');
  });

  test('another tenant sees no such sweep', async () => {
    const other = await api.authFor('someone-else');
    for (const url of [`/v1/sweeps/${sweep.id}`, `/v1/sweeps/${sweep.id}/decisions`]) {
      const res = await call('GET', url, undefined, other);
      assert.equal(res.statusCode, 404);
    }
    assert.equal((await call('POST', `/v1/sweeps/${sweep.id}/cancel`, undefined, other)).statusCode, 404);
    assert.equal((await call('GET', '/v1/sweeps/not-a-uuid')).statusCode, 404);
  });
});

describe('a random sweep', () => {
  const randomSweep = {
    name: 'rates',
    base: lenetJob({ hyperparameters: { epochs: 1 } }),
    space: {
      'hyperparameters.learningRate': { type: 'logUniform', min: 1e-4, max: 0.1 },
      'hyperparameters.batchSize': { type: 'int', min: 16, max: 64 },
    },
    searcher: { type: 'random', trials: 5, seed: 42 },
    metric: 'trainLoss',
    maxConcurrentTrials: 5,
  };

  test('plans the same trials for the same seed, and never trips MAX_QUEUED_JOBS_PER_TENANT', async () => {
    // The tenant already has 2 queued jobs; its limit is 4: the sweep creates 2 trials and waits.
    for (let i = 0; i < 2; i++) assert.equal((await call('POST', '/v1/jobs', lenetJob())).statusCode, 201);
    const first = await call('POST', '/v1/sweeps', randomSweep);
    assert.equal(first.statusCode, 201, first.body);
    const sweep: SweepView = first.json();
    assert.equal(sweep.goal, 'minimize');
    assert.deepEqual(sweep.searcher, { type: 'random', trials: 5, seed: 42 });
    assert.deepEqual(sweep.trials, { planned: 5, created: 2 });
    await advanceSweep(api.deps, sweep.id);
    assert.equal((await trialsOf(sweep.id)).length, 2);
    assert.equal((await call('POST', `/v1/sweeps/${sweep.id}/cancel`)).statusCode, 200);

    const second: SweepView = (await call('POST', '/v1/sweeps', randomSweep)).json();
    assert.deepEqual(
      second.leaderboard.map((entry) => entry.hyperparameters),
      sweep.leaderboard.map((entry) => entry.hyperparameters),
    );
    for (const entry of second.leaderboard) {
      const job = (await call('GET', `/v1/jobs/${entry.jobId}`)).json();
      assert.equal(job.spec.hyperparameters.learningRate, entry.hyperparameters['hyperparameters.learningRate']);
      assert.equal(job.spec.hyperparameters.batchSize, entry.hyperparameters['hyperparameters.batchSize']);
    }
    assert.equal((await call('POST', `/v1/sweeps/${second.id}/cancel`)).statusCode, 200);
  });

  test('GET /v1/sweeps pages newest first and filters by status', async () => {
    const page1 = (await call('GET', '/v1/sweeps?limit=2')).json();
    assert.equal(page1.sweeps.length, 2);
    assert.equal(page1.sweeps[0].name, 'rates');
    assert.ok(page1.nextCursor);
    const page2 = (await call('GET', `/v1/sweeps?limit=2&cursor=${page1.nextCursor}`)).json();
    assert.equal(page2.sweeps.length, 1);
    assert.equal(page2.sweeps[0].name, 'optimizers');
    assert.equal(page2.nextCursor, null);
    assert.equal((await call('GET', '/v1/sweeps?status=running')).json().sweeps.length, 0);
    assert.equal((await call('GET', '/v1/sweeps?cursor=bogus')).statusCode, 400);
  });
});

describe('ASHA decisions', () => {
  test('trials reaching a rung at once are ranked one after another, each against those before it; a decision asked again is the same', async () => {
    const res = await call('POST', '/v1/sweeps', {
      base: lenetJob({ hyperparameters: { validationSplit: 0.1 } }),
      space: { 'hyperparameters.learningRate': { type: 'logUniform', min: 1e-4, max: 0.1 } },
      searcher: { type: 'asha', trials: 9, seed: 1, maxEpochs: 9 },
      metric: 'validationLoss',
      maxConcurrentTrials: 9,
    });
    assert.equal(res.statusCode, 201, res.body);
    const sweep: SweepView = res.json();
    assert.deepEqual(sweep.searcher, { type: 'asha', trials: 9, seed: 1, maxEpochs: 9, reductionFactor: 3, gracePeriod: 1 });
    // MAX_QUEUED_JOBS_PER_TENANT (4) counts the queued trials: claim them as workers would, then create the rest.
    for (let round = 0; round < 5; round++) {
      for (const job of await trialsOf(sweep.id)) if (job.status === 'queued') await claimJob(api.db, job.jobId, `worker-${job.trial}`);
      await advanceSweep(api.deps, sweep.id);
    }
    const trials = await trialsOf(sweep.id);
    assert.equal(trials.length, 9);
    for (const job of trials) {
      const loss = 1 + ((job.trial * 7) % 9) / 10;
      const metrics = {
        epoch: 1,
        trainLoss: 1,
        trainAccuracy: 0.5,
        validationLoss: loss,
        validationAccuracy: 0.5,
        learningRate: 0.01,
        seconds: 1,
        imagesPerSecond: 1,
      };
      assert.ok(await api.db.metrics.recordEpoch(job.jobId, `worker-${job.trial}`, metrics));
    }
    const answers = await Promise.all(
      trials.map((job) => api.db.sweeps.decideAtRung({ sweepId: sweep.id, jobId: job.jobId, workerId: `worker-${job.trial}`, rung: 1 })),
    );
    const decisions: SweepDecisionView[] = (await call('GET', `/v1/sweeps/${sweep.id}/decisions`)).json().decisions;
    assert.equal(decisions.length, 9);
    for (const [index, decision] of decisions.entries()) {
      assert.equal(decision.rung, 1);
      assert.deepEqual(
        decision.competitors.map((c) => c.jobId),
        decisions.slice(0, index).map((d) => d.jobId),
        'each decision saw exactly the decisions made before it at the rung',
      );
      assert.equal(
        decision.continues,
        ashaContinues(
          decision.metric,
          decision.competitors.map((c) => c.metric),
          'minimize',
          3,
        ),
      );
      const trial = trials.find((job) => job.jobId === decision.jobId)!;
      assert.equal(answers[trials.indexOf(trial)]!.continues, decision.continues);
    }
    const again = await api.db.sweeps.decideAtRung({ sweepId: sweep.id, jobId: trials[0]!.jobId, workerId: 'worker-0', rung: 1 });
    assert.deepEqual(again, { continues: decisions.find((d) => d.jobId === trials[0]!.jobId)!.continues });
    assert.equal(await api.db.sweeps.decideAtRung({ sweepId: sweep.id, jobId: trials[1]!.jobId, workerId: 'someone-else', rung: 3 }), null);
    assert.equal((await call('GET', `/v1/sweeps/${sweep.id}/decisions`)).json().decisions.length, 9);
    const view: SweepView = (await call('GET', `/v1/sweeps/${sweep.id}`)).json();
    const pruned = view.leaderboard.filter((entry) => entry.prunedAtRung === 1).map((entry) => entry.jobId);
    assert.deepEqual(
      pruned.sort(),
      decisions
        .filter((d) => !d.continues)
        .map((d) => d.jobId)
        .sort(),
    );
  });
});
