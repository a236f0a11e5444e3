/**
 * MAX_RUNNING_JOBS_PER_TENANT, enforced by the workers: a tenant's job beyond the limit goes back to
 * the queue for a few seconds, without counting as an attempt, while other tenants' jobs run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobSpec } from '@trainyard/contracts';
import { servicesForTests, submitJob, waitForJob } from './harness.js';

const fixture = servicesForTests({ storage: 'disk' });

const lenet = (epochs: number): JobSpec => ({
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs, batchSize: 32, validationSplit: 0 },
});

test('a tenant at its running-jobs limit waits in the queue (not a failed attempt) while another tenant runs', async () => {
  for (let i = 0; i < 2; i++) {
    fixture.startWorker({ MAX_RUNNING_JOBS_PER_TENANT: '1' });
  }
  await Promise.all(fixture.workers.map((w) => w.waitForLog((l) => l.msg === 'worker ready')));
  const busy = [
    await submitJob(fixture.services, lenet(2), { tenant: 'busy' }),
    await submitJob(fixture.services, lenet(2), { tenant: 'busy' }),
  ];
  const other = await submitJob(fixture.services, lenet(2), { tenant: 'other' });

  const finished = [];
  for (const job of [...busy, other]) {
    const done = await waitForJob(
      fixture.services,
      job.id,
      (j) => j.status !== 'queued' && j.status !== 'running',
      120_000,
      `job ${job.id}`,
    );
    assert.equal(done.status, 'succeeded', `${done.errorCode} ${done.errorMessage}\n${fixture.workers.map((w) => w.tail(15)).join('\n')}`);
    assert.equal(done.attempts, 1, 'waiting for the limit is not an attempt');
    finished.push(done);
  }
  const [first, second] = [finished[0]!, finished[1]!].sort((a, b) => a.startedAt!.getTime() - b.startedAt!.getTime());
  assert.ok(second!.startedAt!.getTime() >= first!.finishedAt!.getTime(), 'the busy tenant never had two jobs running');
  const otherJob = finished[2]!;
  assert.ok(otherJob.startedAt!.getTime() < first!.finishedAt!.getTime(), 'the other tenant was not held up by the busy one');

  const waits = fixture.workers.flatMap((w) => w.lines.filter((l) => l.code === 'running_jobs_limit'));
  assert.ok(waits.length >= 1, 'a worker put a job back for the limit');
  assert.ok(waits.every((l) => l.limit === 1 && l.variable === 'MAX_RUNNING_JOBS_PER_TENANT' && busy.some((j) => j.id === l.jobId)));
});
