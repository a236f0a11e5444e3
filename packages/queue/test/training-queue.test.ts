import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  JobChannels,
  PermanentJobError,
  TrainingConsumer,
  TrainingQueue,
  type JobContext,
  type JobEvent,
  type QueueSettings,
} from '../src/index.js';
import { freshSettings, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function openQueue(settings: QueueSettings, retry = { attempts: 3, backoffMs: 20 }): TrainingQueue {
  const queue = new TrainingQueue(settings, retry);
  cleanups.push(async () => {
    await queue.obliterate();
    await queue.close();
  });
  return queue;
}

function startConsumer(settings: QueueSettings, train: (context: JobContext) => Promise<'completed' | 'handed_back'>) {
  const consumer = new TrainingConsumer(
    { ...settings, concurrency: 1, lockDurationMs: 5_000, stalledIntervalMs: 2_500, maxStalledCount: 10 },
    { train },
  );
  cleanups.push(() => consumer.close());
  return consumer;
}

test('a job id is queued at most once, and counts and state follow it', async () => {
  const queue = openQueue(freshSettings());
  const id = randomUUID();
  assert.equal(await queue.enqueue(id), true);
  assert.equal(await queue.enqueue(id), false);
  assert.equal(await queue.state(id), 'waiting');
  assert.equal(await queue.state(randomUUID()), 'missing');
  const counts = await queue.counts();
  assert.equal(counts.waiting, 1);
  assert.equal(counts.active, 0);
  await queue.check();
});

test('a finished queue entry is replaced when the job is queued again', async () => {
  const settings = freshSettings();
  const queue = openQueue(settings);
  const id = randomUUID();
  let runs = 0;
  startConsumer(settings, async () => {
    runs += 1;
    return 'completed';
  });
  await queue.enqueue(id);
  await waitFor(async () => ((await queue.state(id)) === 'completed' ? true : undefined), 10_000, 'first run');
  assert.equal(await queue.enqueue(id), true);
  await waitFor(async () => (runs === 2 && (await queue.state(id)) === 'completed' ? true : undefined), 10_000, 'second run');
});

test('removeQueued removes a waiting job, and only once', async () => {
  const queue = openQueue(freshSettings());
  const id = randomUUID();
  await queue.enqueue(id);
  assert.equal(await queue.removeQueued(id), true);
  assert.equal(await queue.state(id), 'missing');
  assert.equal(await queue.removeQueued(id), false);
  assert.equal((await queue.counts()).waiting, 0);
});

test('a consumer runs a queued job and it completes', async () => {
  const settings = freshSettings();
  const queue = openQueue(settings);
  const seen: JobContext[] = [];
  startConsumer(settings, async (context) => {
    seen.push(context);
    return 'completed';
  });
  const id = randomUUID();
  await queue.enqueue(id);
  await waitFor(async () => ((await queue.state(id)) === 'completed' ? true : undefined), 10_000, 'completion');
  assert.equal(seen.length, 1);
  assert.deepEqual(seen[0], { jobId: id, type: 'train', failedAttempts: 0, maxAttempts: 3, willRetryOnFailure: true });
});

test('a transient error is retried; a PermanentJobError fails at once', async () => {
  const settings = freshSettings();
  const queue = openQueue(settings);
  const flaky = randomUUID();
  const doomed = randomUUID();
  const calls: Record<string, JobContext[]> = { [flaky]: [], [doomed]: [] };
  startConsumer(settings, async (context) => {
    calls[context.jobId]!.push(context);
    if (context.jobId === doomed) throw new PermanentJobError('dataset is corrupt');
    if (context.failedAttempts === 0) throw new Error('network blip');
    return 'completed';
  });
  await queue.enqueue(flaky);
  await queue.enqueue(doomed);
  await waitFor(async () => ((await queue.state(flaky)) === 'completed' ? true : undefined), 10_000, 'flaky job');
  await waitFor(async () => ((await queue.state(doomed)) === 'failed' ? true : undefined), 10_000, 'doomed job');
  assert.deepEqual(
    calls[flaky]!.map((c) => c.failedAttempts),
    [0, 1],
  );
  assert.equal(calls[doomed]!.length, 1);
});

test('a handed-back job returns to the queue and the next consumer runs it', async () => {
  const settings = freshSettings();
  const queue = openQueue(settings);
  const id = randomUUID();
  let firstStarted!: () => void;
  const started = new Promise<void>((resolve) => (firstStarted = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const first = startConsumer(settings, async () => {
    firstStarted();
    await released;
    return 'handed_back';
  });
  await queue.enqueue(id);
  await started;
  // Closing waits for the running handler, as a worker's SIGTERM path does.
  const closing = first.close();
  release();
  await closing;
  assert.equal(await queue.state(id), 'waiting');
  const runs: JobContext[] = [];
  startConsumer(settings, async (context) => {
    runs.push(context);
    return 'completed';
  });
  await waitFor(async () => ((await queue.state(id)) === 'completed' ? true : undefined), 10_000, 'second run');
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.failedAttempts, 0, 'handing back is not a failure');
});

test('a job survives two SIGKILLed consumers and completes on the third', async () => {
  const settings = freshSettings();
  const queue = openQueue(settings);
  const id = randomUUID();
  await queue.enqueue(id);
  const fixture = fileURLToPath(new URL('./fixtures/hanging-consumer.js', import.meta.url));
  for (let kill = 0; kill < 2; kill++) {
    const child = spawn(process.execPath, [fixture, settings.redisUrl, settings.prefix, '1000', '500'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(async () => child.kill('SIGKILL'));
    for await (const line of createInterface({ input: child.stdout! })) {
      if (line === `started ${id}`) break;
    }
    child.kill('SIGKILL');
  }
  const runs: JobContext[] = [];
  const consumer = new TrainingConsumer(
    { ...settings, concurrency: 1, lockDurationMs: 1000, stalledIntervalMs: 500, maxStalledCount: 10 },
    {
      train: async (context) => {
        runs.push(context);
        return 'completed';
      },
    },
  );
  cleanups.push(() => consumer.close());
  await waitFor(async () => ((await queue.state(id)) === 'completed' ? true : undefined), 20_000, 'takeover');
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.failedAttempts, 0, 'a vanished worker is not a failed attempt');
});

test('every job type needs a handler, and only known types may have one', () => {
  const settings = freshSettings();
  const options = { ...settings, concurrency: 1, lockDurationMs: 5000, stalledIntervalMs: 2500, maxStalledCount: 10 };
  assert.throws(() => new TrainingConsumer(options, {} as never), /no handler for job type\(s\) train/);
  assert.throws(
    () => new TrainingConsumer(options, { train: async () => 'completed', export: async () => 'completed' } as never),
    /unknown job type\(s\) export/,
  );
});

test('cancel requests and job events reach every subscriber of the same prefix, and no other', async () => {
  const settings = freshSettings();
  const api = new JobChannels(settings);
  const worker1 = new JobChannels(settings);
  const worker2 = new JobChannels(settings);
  const otherDeployment = new JobChannels(freshSettings());
  for (const channels of [api, worker1, worker2, otherDeployment]) cleanups.push(() => channels.close());

  const cancelled: string[] = [];
  await worker1.onCancel((jobId) => cancelled.push(`w1:${jobId}`));
  await worker2.onCancel((jobId) => cancelled.push(`w2:${jobId}`));
  await otherDeployment.onCancel((jobId) => cancelled.push(`other:${jobId}`));
  const id = randomUUID();
  assert.equal(await api.publishCancel(id), 2);
  await waitFor(() => (cancelled.length >= 2 ? true : undefined), 5_000, 'cancel delivery');
  assert.deepEqual(cancelled.sort(), [`w1:${id}`, `w2:${id}`]);

  const events: JobEvent[] = [];
  const unsubscribe = await api.onJobEvents(id, (event) => events.push(event));
  const at = new Date().toISOString();
  await worker1.publishEvent({ type: 'phase', jobId: randomUUID(), at, phase: 'training' });
  await worker1.publishEvent({ type: 'phase', jobId: id, at, phase: 'training' });
  await worker1.publishEvent({ type: 'status', jobId: id, at, status: 'succeeded' });
  await waitFor(() => (events.length >= 2 ? true : undefined), 5_000, 'event delivery');
  assert.deepEqual(
    events.map((e) => e.type),
    ['phase', 'status'],
  );
  await unsubscribe();
  await worker1.publishEvent({ type: 'phase', jobId: id, at, phase: 'saving' });
  await api.check();
  assert.equal(events.length, 2);
});
