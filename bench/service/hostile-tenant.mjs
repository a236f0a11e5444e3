#!/usr/bin/env node
/**
 * One tenant attacks the service while another submits and reads (issue 15). Rounds alternate: in a
 * "quiet" phase only the victim works; in an "attack" phase the attacker, with a valid key, at the same
 * time: sends control characters, guesses keys, scrapes /metrics in a loop, opens event streams it never
 * reads, starts uploads that stall, bursts submissions past its queue limit, asks for sample images of
 * a Fashion-MNIST upload with concurrent calls, and submits vgg19_bn at batch 4096. Recorded: the API
 * process's peak resident memory (must stay under 1 GiB) and the victim's request latencies (p50, p99;
 * the attack p99 must stay under 3x the quiet p99), the medians over rounds, the load average and the
 * commit. Needs a build, Postgres and Redis on 127.0.0.1 and /usr/share/datasets/fashion-mnist.
 *
 *   node bench/service/hostile-tenant.mjs [--rounds 3] [--seconds 20]
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { percentile, startLocalService } from './local-service.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);
const phaseMs = Number(values.seconds) * 1000;
const CLI = fileURLToPath(new URL('../../services/cli/dist/src/main.js', import.meta.url));
const FASHION = '/usr/share/datasets/fashion-mnist';

const service = await startLocalService({ apiLogLevel: 'warn' });
const { url } = service;
const victim = { authorization: `Bearer ${service.key}` };
const attacker = { authorization: `Bearer ${await newKey('attacker')}` };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function newKey(tenant) {
  const child = spawn(process.execPath, [CLI, 'keys', 'create', '--tenant', tenant], {
    env: service.env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  await once(child, 'exit');
  return out.trim().split('\n').at(-1);
}

function rssBytes(pid) {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb) * 1024;
  } catch {
    throw new Error('the API process is gone');
  }
}

const job = (extra = {}) => ({
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs: 1 },
  ...extra,
});
const post = (path, headers, body) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/**
 * The victim: submit, list, read, one at a time, timing each request; a round every VICTIM_PERIOD_MS,
 * so that it stays under its own RATE_LIMIT_PER_MINUTE (600) and its latencies are real answers.
 */
const VICTIM_PERIOD_MS = 400;
async function victimLoop(until, latencies, ids, refusals) {
  while (Date.now() < until) {
    const next = Date.now() + VICTIM_PERIOD_MS;
    for (const request of [
      () => post('/v1/jobs', victim, job()),
      () => fetch(`${url}/v1/jobs?limit=20`, { headers: victim }),
      () => fetch(`${url}/v1/jobs/${ids.at(-1) ?? '00000000-0000-0000-0000-000000000000'}`, { headers: victim }),
    ]) {
      const started = performance.now();
      const res = await request();
      const body = await res.text();
      latencies.push(performance.now() - started);
      if (res.status === 201) ids.push(JSON.parse(body).id);
      else if (res.status >= 300) refusals.push(`${res.status} ${body.slice(0, 120)}`);
    }
    await sleep(next - Date.now());
  }
}

/** The attacker's loops, all at once, until `until`. Returns counts of the answers it got, by status. */
async function attack(until, datasetId, attackerJobId) {
  const statuses = {};
  const count = (status) => (statuses[status] = (statuses[status] ?? 0) + 1);
  const loop = async (send) => {
    while (Date.now() < until) {
      try {
        const res = await send();
        count(res.status);
        await res.arrayBuffer();
      } catch {
        count('error');
      }
    }
  };
  const sockets = [];
  // Event streams never read, and uploads that stall after their first bytes.
  for (let i = 0; i < 30; i++) {
    const socket = connect(new URL(url).port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`GET /v1/jobs/${attackerJobId}/events HTTP/1.1\r\nHost: x\r\nAuthorization: ${attacker.authorization}\r\n\r\n`);
    socket.pause();
    sockets.push(socket);
  }
  for (let i = 0; i < 5; i++) {
    const socket = connect(new URL(url).port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST /v1/datasets HTTP/1.1\r\nHost: x\r\nAuthorization: ${attacker.authorization}\r\nContent-Type: multipart/form-data; boundary=b\r\n` +
        `Content-Length: 1000000000\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="x.zip"\r\n\r\n${'x'.repeat(1000)}`,
    );
    sockets.push(socket);
  }
  let guess = 0;
  await Promise.all([
    loop(() => post('/v1/jobs', attacker, job({ name: 'nul\u0000name' }))),
    loop(() => fetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer ty_${String(guess++).padStart(43, 'g')}` } })),
    loop(() => fetch(`${url}/metrics`)),
    loop(() => fetch(`${url}/metrics`)),
    loop(() => post('/v1/jobs', attacker, job())),
    loop(() =>
      post('/v1/jobs', attacker, {
        model: { architecture: 'vgg19_bn' },
        dataset: { builtin: 'synthetic' },
        hyperparameters: { batchSize: 4096 },
      }),
    ),
    ...Array.from({ length: 3 }, () => loop(() => fetch(`${url}/v1/datasets/${datasetId}/samples`, { headers: attacker }))),
  ]);
  for (const socket of sockets) socket.destroy();
  return statuses;
}

async function uploadFashionMnist() {
  const form = new FormData();
  for (const [part, name] of [
    ['images', 'train-images-idx3-ubyte.gz'],
    ['labels', 'train-labels-idx1-ubyte.gz'],
    ['images', 't10k-images-idx3-ubyte.gz'],
    ['labels', 't10k-labels-idx1-ubyte.gz'],
  ]) {
    form.append(part, new Blob([readFileSync(`${FASHION}/${name}`)]), name);
  }
  const res = await fetch(`${url}/v1/datasets`, { method: 'POST', headers: attacker, body: form });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

try {
  const datasetId = await uploadFashionMnist();
  const attackerJob = await (await post('/v1/jobs', attacker, job())).json();
  const pid = service.apiPid();
  const results = [];
  const ids = [];
  for (let round = 1; round <= rounds; round++) {
    for (const phase of ['quiet', 'attack']) {
      const until = Date.now() + phaseMs;
      const latencies = [];
      const refusals = [];
      let peakRss = rssBytes(pid);
      let gone = false;
      const sampler = setInterval(() => {
        try {
          peakRss = Math.max(peakRss, rssBytes(pid));
        } catch {
          gone = true;
        }
      }, 100);
      const [, statuses] = await Promise.all([
        victimLoop(until, latencies, ids, refusals),
        phase === 'attack' ? attack(until, datasetId, attackerJob.id) : null,
      ]);
      clearInterval(sampler);
      if (gone) throw new Error('the API process died');
      latencies.sort((a, b) => a - b);
      const result = {
        round,
        phase,
        requests: latencies.length,
        p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
        p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
        apiPeakRssMiB: Math.round(peakRss / 1024 ** 2),
        victimRefused: refusals.length,
        ...(refusals.length > 0 ? { victimRefusals: refusals.slice(0, 3) } : {}),
        ...(statuses ? { attackerAnswers: statuses } : {}),
      };
      results.push(result);
      console.error(JSON.stringify(result));
      await sleep(2_000); // let dropped connections and timers settle between phases
    }
  }
  const median = (list) => {
    const sorted = [...list].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  };
  const of = (phase, key) => median(results.filter((r) => r.phase === phase).map((r) => r[key]));
  const summary = {
    bench: 'hostile-tenant',
    date: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
    dirty: execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '',
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    rounds,
    phaseSeconds: phaseMs / 1000,
    quietP99Ms: of('quiet', 'p99Ms'),
    attackP99Ms: of('attack', 'p99Ms'),
    quietP50Ms: of('quiet', 'p50Ms'),
    attackP50Ms: of('attack', 'p50Ms'),
    apiPeakRssMiB: Math.max(...results.map((r) => r.apiPeakRssMiB)),
    p99Ratio: Math.round((of('attack', 'p99Ms') / of('quiet', 'p99Ms')) * 100) / 100,
    results,
  };
  summary.rssUnder1GiB = summary.apiPeakRssMiB < 1024;
  summary.p99Under3x = summary.p99Ratio < 3;
  console.log(JSON.stringify(summary));
} finally {
  await service.stop();
}
