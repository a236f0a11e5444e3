/**
 * Sweeps end to end: a real API process (`trainyard start api`, whose sweep loop creates the trials),
 * real workers training LeNet-5 on the synthetic set, Postgres and Redis. The ASHA sweep checks every
 * recorded decision against the rule applied to the metrics it saw, and loses none across an API
 * killed mid-sweep (decisions are made by the workers in Postgres; trials are created from Postgres).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ashaContinues, type SweepDecisionView, type SweepView } from '@trainyard/contracts';
import { ServiceProcess, servicesForTests, waitFor, type Services } from './harness.js';
import { freePort } from '@trainyard/contracts/ports';

const fixture = servicesForTests({ storage: 'disk' });
const apis: ServiceProcess[] = [];
afterEach(async () => {
  for (const api of apis.splice(0)) {
    api.kill('SIGKILL');
    await api.exited;
  }
});

interface Api {
  process: ServiceProcess;
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

async function startApi(services: Services, port: number, key: string): Promise<Api> {
  const child = ServiceProcess.start('api', { ...services.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
  apis.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    () =>
      fetch(`${url}/readyz`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    60_000,
    'the API to be ready',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${child.tail()}`);
  });
  return {
    process: child,
    async call<T>(method: 'GET' | 'POST', path: string, body?: unknown) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as T };
    },
  };
}

async function apiKey(services: Services): Promise<string> {
  const { tenant } = await services.db.tenants.findOrCreate('sweeps');
  return (await services.db.tenants.createApiKey(tenant.id)).key;
}

async function waitForSweep(api: () => Api, id: string, workers: readonly ServiceProcess[], timeoutMs: number): Promise<SweepView> {
  return waitFor(
    async () => {
      const { body } = await api()
        .call<SweepView>('GET', `/v1/sweeps/${id}`)
        .catch(() => ({ body: undefined }));
      return body && body.status !== 'running' ? body : undefined;
    },
    timeoutMs,
    `sweep ${id} to end`,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${workers.map((worker) => worker.tail(15)).join('\n---\n')}`);
  });
}

/** The most trials of the sweep that were running at one moment (from their start and end times). */
async function mostAtOnce(services: Services, sweep: SweepView): Promise<number> {
  const trials = await Promise.all(sweep.leaderboard.map(async (entry) => (await services.db.jobs.get(entry.jobId))!));
  const events = trials.flatMap((trial) => [
    { at: trial.startedAt!.getTime(), change: 1 },
    { at: trial.finishedAt!.getTime(), change: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.change - b.change);
  let running = 0;
  let most = 0;
  for (const event of events) most = Math.max(most, (running += event.change));
  return most;
}

test('a seeded random ASHA sweep of 9 LeNet-5 trials: every decision follows the rule on the metrics it saw, none lost to an API killed mid-sweep', async () => {
  const { services } = fixture;
  const workers = [fixture.startWorker(), fixture.startWorker(), fixture.startWorker()];
  const port = await freePort();
  const key = await apiKey(services);
  let api = await startApi(services, port, key);
  await Promise.all(workers.map((worker) => worker.waitForLog((line) => line.msg === 'worker ready')));

  const submitted = await api.call<SweepView>('POST', '/v1/sweeps', {
    name: 'lr search',
    base: {
      model: { architecture: 'lenet5' },
      dataset: { builtin: 'synthetic' },
      hyperparameters: { batchSize: 128, validationSplit: 0.2 },
    },
    space: {
      'hyperparameters.learningRate': { type: 'logUniform', min: 1e-4, max: 0.1 },
      'hyperparameters.optimizer': { type: 'choice', values: ['adam', 'sgd'] },
    },
    searcher: { type: 'asha', trials: 9, seed: 1, maxEpochs: 9, reductionFactor: 3 },
    metric: 'validationLoss',
    maxConcurrentTrials: 2,
  });
  assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
  const sweepId = submitted.body.id;

  // The API dies (SIGKILL) once the first decision is recorded, mid-sweep; decisions go on meanwhile.
  await waitFor(async () => ((await services.db.sweeps.decisions(sweepId)).length > 0 ? true : undefined), 180_000, 'a first decision');
  api.process.kill('SIGKILL');
  await api.process.exited;
  const killedAt = (await services.db.sweeps.get(sweepId))!;
  assert.equal(killedAt.status, 'running');
  assert.ok(killedAt.trialsCreated < 9, 'the API was killed before every trial was created');
  const decidedBefore = (await services.db.sweeps.decisions(sweepId)).length;
  await waitFor(
    async () => ((await services.db.sweeps.decisions(sweepId)).length > decidedBefore ? true : undefined),
    180_000,
    'a decision while the API is down',
  );
  api = await startApi(services, port, key);

  const sweep = await waitForSweep(() => api, sweepId, workers, 600_000);
  assert.equal(sweep.status, 'succeeded', JSON.stringify(sweep));
  assert.deepEqual(sweep.trials, { planned: 9, created: 9 });
  assert.ok((await mostAtOnce(services, sweep)) <= 2, 'never more than maxConcurrentTrials trials at once');

  const { body } = await api.call<{ decisions: SweepDecisionView[] }>('GET', `/v1/sweeps/${sweepId}/decisions`);
  const decisions = body.decisions;
  const metricAt = async (jobId: string, epoch: number) =>
    (await services.db.metrics.list(jobId)).find((row) => row.epoch === epoch)!.validationLoss;
  for (const [index, decision] of decisions.entries()) {
    assert.ok([1, 3].includes(decision.rung), `rung ${decision.rung}`);
    // What the decision saw: the trial's metric at the rung, and the trials ranked at that rung before it.
    assert.equal(decision.metric, await metricAt(decision.jobId, decision.rung));
    const before = decisions.slice(0, index).filter((earlier) => earlier.rung === decision.rung);
    assert.deepEqual(
      decision.competitors.map((competitor) => [competitor.jobId, competitor.metric]),
      before.map((earlier) => [earlier.jobId, earlier.metric]),
    );
    const expected = ashaContinues(
      decision.metric,
      decision.competitors.map((competitor) => competitor.metric),
      'minimize',
      3,
    );
    assert.equal(decision.continues, expected, `decision ${decision.sequence}`);
  }

  // No decision lost: each trial has one at each rung it reached, and trained on only after a "continue".
  assert.equal(sweep.leaderboard.length, 9);
  for (const entry of sweep.leaderboard) {
    assert.equal(entry.status, 'succeeded', JSON.stringify(entry));
    const own = decisions.filter((decision) => decision.jobId === entry.jobId);
    assert.deepEqual(
      own.map((decision) => decision.rung),
      [1, 3].filter((rung) => rung <= entry.epochs),
      `trial ${entry.trial}`,
    );
    const stop = own.find((decision) => !decision.continues);
    if (stop) {
      assert.deepEqual([entry.epochs, entry.stopReason, entry.prunedAtRung], [stop.rung, 'pruned', stop.rung]);
      const job = await api.call<{ stopReason: string; sweepId: string }>('GET', `/v1/jobs/${entry.jobId}`);
      assert.deepEqual([job.body.stopReason, job.body.sweepId], ['pruned', sweepId]);
      // Its last epoch's model was exported.
      const model = await services.db.models.get(entry.jobId);
      assert.equal((model?.manifest as { metrics: { epochsTrained: number } }).metrics.epochsTrained, stop.rung);
    } else {
      assert.deepEqual([entry.epochs, entry.stopReason, entry.prunedAtRung], [9, null, null]);
    }
    assert.equal(entry.metric, await metricAt(entry.jobId, entry.epochs));
  }
  assert.ok(
    sweep.leaderboard.some((entry) => entry.stopReason === 'pruned'),
    'ASHA pruned some trials',
  );
  const bestMetric = Math.min(...sweep.leaderboard.map((entry) => entry.metric!));
  assert.equal(sweep.best?.metric, bestMetric);
  assert.equal(sweep.best?.jobId, sweep.leaderboard[0]!.jobId);
});

test('grid and random sweeps run every planned trial to the end and report the best', async () => {
  const { services } = fixture;
  const workers = [fixture.startWorker(), fixture.startWorker()];
  const api = await startApi(services, await freePort(), await apiKey(services));
  await Promise.all(workers.map((worker) => worker.waitForLog((line) => line.msg === 'worker ready')));
  const base = {
    model: { architecture: 'lenet5' },
    dataset: { builtin: 'synthetic' },
    hyperparameters: { epochs: 1, batchSize: 128 },
  };
  const grid = await api.call<SweepView>('POST', '/v1/sweeps', {
    base,
    space: { 'hyperparameters.optimizer': { type: 'choice', values: ['adam', 'sgd'] } },
    searcher: { type: 'grid' },
    metric: 'trainAccuracy',
  });
  const random = await api.call<SweepView>('POST', '/v1/sweeps', {
    base,
    space: { 'hyperparameters.learningRate': { type: 'uniform', min: 0.001, max: 0.01 } },
    searcher: { type: 'random', trials: 2, seed: 3 },
    metric: 'trainLoss',
  });
  for (const submitted of [grid, random]) {
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const sweep = await waitForSweep(() => api, submitted.body.id, workers, 300_000);
    assert.equal(sweep.status, 'succeeded');
    assert.deepEqual(
      sweep.leaderboard.map((entry) => [entry.status, entry.epochs, entry.stopReason]),
      [
        ['succeeded', 1, null],
        ['succeeded', 1, null],
      ],
    );
    const metrics = sweep.leaderboard.map((entry) => entry.metric!);
    const best = sweep.goal === 'maximize' ? Math.max(...metrics) : Math.min(...metrics);
    assert.equal(sweep.best?.metric, best);
    assert.deepEqual(sweep.best?.hyperparameters, sweep.leaderboard[0]!.hyperparameters);
    assert.equal((await mostAtOnce(services, sweep)) <= 1, true, 'one trial at a time (maxConcurrentTrials defaults to 1)');
    const { body } = await api.call<{ decisions: unknown[] }>('GET', `/v1/sweeps/${sweep.id}/decisions`);
    assert.deepEqual(body.decisions, []);
  }
  assert.deepEqual(
    grid.body.leaderboard.map((entry) => entry.hyperparameters),
    [{ 'hyperparameters.optimizer': 'adam' }],
    'the first trial was created at submission',
  );
});
