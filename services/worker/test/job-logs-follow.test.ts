/**
 * Following a job's log through a real API and worker process, from its start to its failure: a
 * diverging LeNet-5 (SGD at learning rate 10, as in diverged.test.ts) fails in its training child
 * with training_diverged. GET /v1/jobs/{id}/logs?follow=true sends the attempt, the engine and
 * device, the phases, a progress line and the full error, then `end`; TensorFlow.js's Node banner is
 * nowhere. Afterwards the same lines come from object storage, the live log is gone from Redis, and
 * deleting the job deletes the stored log.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { jobKeys } from '@trainyard/storage';
import { ServiceProcess, startServices, waitFor, type Services } from './harness.js';

let services: Services | undefined;
const processes: ServiceProcess[] = [];
after(async () => {
  for (const p of processes) {
    p.kill('SIGKILL');
    await p.exited;
  }
  await services?.close();
});

interface Line {
  id: string;
  time: string;
  level: string;
  message: string;
}

/** The SSE messages of a response body, until the server ends it. */
async function readSse(response: Response): Promise<Array<{ id?: string; event?: string; data: string }>> {
  const text = await response.text();
  return text
    .split('\n\n')
    .map((block) => {
      const message: { id?: string; event?: string; data?: string } = {};
      for (const row of block.split('\n')) {
        if (row.startsWith('id: ')) message.id = row.slice(4);
        else if (row.startsWith('event: ')) message.event = row.slice(7);
        else if (row.startsWith('data: ')) message.data = row.slice(6);
      }
      return message;
    })
    .filter((message): message is { id?: string; event?: string; data: string } => message.data !== undefined);
}

test('a job followed from its start to its failure, then read from storage, then deleted with the job', async () => {
  services = await startServices({ storage: 'disk' });
  const { tenant } = await services.db.tenants.findOrCreate('logs-e2e');
  const { key } = await services.db.tenants.createApiKey(tenant.id);
  const headers = { authorization: `Bearer ${key}` };
  const api = ServiceProcess.start('api', { ...services.env, PORT: '0', HOST: '127.0.0.1' });
  const worker = ServiceProcess.start('worker', services.env);
  processes.push(api, worker);
  const ready = await api
    .waitForLog((line) => line.msg === 'API listening', 60_000)
    .catch((error) => {
      throw new Error(`${error.message}\n${api.tail()}`);
    });
  const base = String(ready.address).replace('0.0.0.0', '127.0.0.1');

  const submitted = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: { architecture: 'lenet5' },
      dataset: { builtin: 'synthetic' },
      hyperparameters: {
        epochs: 20,
        batchSize: 32,
        validationSplit: 0,
        optimizer: 'sgd',
        learningRate: 10,
        momentum: 0.99,
        weightDecay: 1,
      },
    }),
  });
  assert.equal(submitted.status, 201, await submitted.clone().text());
  const { id } = (await submitted.json()) as { id: string };

  const following = await fetch(`${base}/v1/jobs/${id}/logs?follow=true`, { headers, signal: AbortSignal.timeout(240_000) });
  assert.equal(following.status, 200);
  const messages = await readSse(following).catch((error) => {
    throw new Error(`${(error as Error).message}\n${worker.tail(60)}`);
  });
  const end = messages.at(-1)!;
  assert.equal(end.event, 'end', JSON.stringify(messages.slice(-3)));
  assert.deepEqual(JSON.parse(end.data), { jobId: id, status: 'failed' });
  const lines = messages.filter((m) => m.event === 'line').map((m) => JSON.parse(m.data) as Line);
  const text = lines.map((line) => `${line.level} ${line.message}`).join('\n');
  assert.match(lines[0]!.message, /^attempt 1 started on worker /, text);
  assert.match(text, /^info engine \S+ on (cpu|gpu) \(.+\)$/m);
  assert.match(text, /^info loading the data$/m);
  assert.match(text, /^info training$/m);
  assert.match(text, /^info epoch 1\/20 step 1\/\d+: loss /m);
  assert.match(lines.at(-1)!.message, /^job failed: training_diverged: .*loss became (NaN|-?Infinity)/, text);
  assert.equal(lines.at(-1)!.level, 'error');
  assert.doesNotMatch(text, /Hi, looks like you are running TensorFlow\.js|={10,}/);
  const job = (await (await fetch(`${base}/v1/jobs/${id}`, { headers })).json()) as { status: string; errorCode?: string };
  assert.equal(job.status, 'failed');

  // The log is in storage now, with the same ids; Redis no longer holds it.
  assert.equal(await services.channels.logSince(id, null, 1), null);
  assert.ok(await services.storage.exists(jobKeys(id).logs));
  const stored = (await (await fetch(`${base}/v1/jobs/${id}/logs?limit=10000`, { headers })).json()) as { lines: Line[] };
  assert.deepEqual(stored.lines, lines);

  const deleted = await fetch(`${base}/v1/jobs/${id}`, { method: 'DELETE', headers });
  assert.equal(deleted.status, 204);
  await waitFor(async () => ((await services!.storage.exists(jobKeys(id).logs)) ? undefined : true), 10_000, 'the stored log to go');
  assert.equal((await fetch(`${base}/v1/jobs/${id}/logs`, { headers })).status, 404);
  // The worker's own lines carry no banner either.
  assert.deepEqual(
    worker.lines.filter((line) => /Hi, looks like you are running TensorFlow\.js/.test(String(line.msg))),
    [],
  );
});
