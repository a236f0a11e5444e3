#!/usr/bin/env node
/**
 * How soon a queued job starts on an idle worker (issue 4: within one second). A real API and worker
 * (`trainyard start`), a fresh database and queue. For each of N jobs, submitted one at a time to the
 * idle worker, it records:
 *   - queued -> running: from the job row's insertion to the worker's claim (Postgres timestamps;
 *     the "starts"),
 *   - training: from the submit answer to the job's `training` phase event (the child has read the
 *     data, built the model and begins the first batch), on the Redis channel the worker publishes on.
 * Each job is then cancelled, so the worker is idle again before the next one.
 *
 *   npm run build && node bench/service/start-latency.mjs [--jobs 10]
 */
import { parseArgs } from 'node:util';
import { JobChannels } from '@trainyard/queue';
import { percentile, startLocalService } from './local-service.mjs';
import { recordResult } from '../record.mjs';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '10' } } });
/** How long the worker sits idle between two jobs. */
const IDLE_MS = 3000;
const service = await startLocalService();
const channels = new JobChannels({ redisUrl: service.env.REDIS_URL, prefix: service.env.QUEUE_PREFIX });
const headers = { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' };
try {
  await service.startWorker();
  // An idle worker: connected, blocked on the queue, its spare training child loaded.
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const runningTimes = [];
  const trainingTimes = [];
  for (let i = 0; i < Number(values.jobs); i++) {
    // The job's id is known from the answer only: the claim may come before the subscription is in
    // place, so its time is also read from Postgres (startedAt - createdAt).
    const response = await fetch(`${service.url}/v1/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, hyperparameters: { epochs: 5 } }),
    });
    const answeredAt = performance.now();
    const job = await response.json();
    if (response.status !== 201) throw new Error(`submit answered ${response.status}: ${JSON.stringify(job)}`);
    const training = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`job ${job.id}: no training after 60 s`)), 60_000);
      channels
        .onJobEvents(job.id, (event) => {
          if (event.type === 'phase' && event.phase === 'training') {
            clearTimeout(timer);
            resolve(performance.now() - answeredAt);
          }
        })
        .catch(reject);
    });
    // The claim comes within milliseconds, before a subscription made after the answer would see it:
    // its time is read from Postgres, from the row's insertion to the worker's claim.
    const claimed = await (await fetch(`${service.url}/v1/jobs/${job.id}`, { headers })).json();
    const times = { running: Date.parse(claimed.startedAt) - Date.parse(claimed.createdAt), training };
    runningTimes.push(times.running);
    trainingTimes.push(times.training);
    await fetch(`${service.url}/v1/jobs/${job.id}/cancel`, { method: 'POST', headers });
    // Wait until the worker is idle again, and stays idle a moment (as a worker waiting for work).
    for (;;) {
      const current = await (await fetch(`${service.url}/v1/jobs/${job.id}`, { headers })).json();
      if (current.status === 'cancelled' || current.status === 'failed' || current.status === 'succeeded') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  }
  const summary = (list) => {
    const sorted = [...list].sort((a, b) => a - b);
    return { p50: Math.round(percentile(sorted, 50)), max: Math.round(sorted.at(-1)), inOrder: list.map(Math.round) };
  };
  console.log(
    JSON.stringify(
      recordResult('start-latency', {
        bench: 'queued job start on an idle worker',
        jobs: runningTimes.length,
        msFromQueuedToRunning: summary(runningTimes),
        msFromSubmitAnswerToTrainingPhase: summary(trainingTimes),
        goalRunningMs: 1000,
      }),
    ),
  );
} finally {
  await channels.close();
  await service.stop();
}
