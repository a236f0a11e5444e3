/**
 * The victim of hostile-tenant.mjs, in a worker thread of its own: submit, list, read, one at a time,
 * timing each request; a round every VICTIM_PERIOD_MS, so that it stays under its own
 * RATE_LIMIT_PER_MINUTE (600) and its latencies are real answers. Its own thread has its own event
 * loop, heap and HTTP client, so the attacker's thousands of answers parsed on the main thread do not
 * delay its timestamps: what it records is the service's latency, not the bench's.
 *
 * One thread for the whole run (its connections stay warm across phases). workerData: { url,
 * authorization }; each message { until } runs a phase and is answered { latencies, refusals, slowest }:
 * slowest names the phase's five slowest requests (kind, seconds into the phase, ms), to find what the
 * tail is made of.
 */
import { parentPort, workerData } from 'node:worker_threads';

const VICTIM_PERIOD_MS = 400;
const { url, authorization } = workerData;
const headers = { authorization };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const job = { model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, hyperparameters: { epochs: 1 } };

let lastId = '00000000-0000-0000-0000-000000000000';
parentPort.on('message', async ({ until }) => {
  const latencies = [];
  const refusals = [];
  const slowest = [];
  const phaseStarted = performance.now();
  while (Date.now() < until) {
    const next = Date.now() + VICTIM_PERIOD_MS;
    for (const [kind, request] of [
      [
        'submit',
        () =>
          fetch(`${url}/v1/jobs`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify(job),
          }),
      ],
      ['list', () => fetch(`${url}/v1/jobs?limit=20`, { headers })],
      ['read', () => fetch(`${url}/v1/jobs/${lastId}`, { headers })],
    ]) {
      const started = performance.now();
      const res = await request();
      const body = await res.text();
      const ms = performance.now() - started;
      latencies.push(ms);
      slowest.push({ kind, atS: Math.round((started - phaseStarted) / 100) / 10, ms: Math.round(ms * 10) / 10 });
      if (res.status === 201) lastId = JSON.parse(body).id;
      else if (res.status >= 300) refusals.push(`${res.status} ${body.slice(0, 120)}`);
    }
    await sleep(next - Date.now());
  }
  slowest.sort((a, b) => b.ms - a.ms);
  parentPort.postMessage({ latencies, refusals, slowest: slowest.slice(0, 5) });
});
