#!/usr/bin/env node
/**
 * POST /v1/jobs latency under load: 50 concurrent clients (autocannon) submit LeNet-5 jobs to a real
 * `trainyard start api` process on a fresh database. Issue 4's goal: p99 under 50 ms.
 *
 *   npm run build && node bench/service/submit-latency.mjs [--requests 5000] [--connections 50]
 *       [--rate 300] [--api-processes 2] [--with-worker] [--log-level info] [--cpu-prof DIR]
 *
 * Two kinds of load:
 *   - closed loop (default): every client sends its next request as soon as the previous one is
 *     answered, as fast as the machine allows. Latency there is concurrency / throughput.
 *   - fixed rate (--rate R): the clients together send R requests a second, each client at R/N a
 *     second. autocannon's own overallRate starts every connection at the same instant and lets each
 *     fire its share of a second back to back, so all 50 clients hit the server at once at the start
 *     of every second (a closed-loop burst, not a rate). Here each client is its own autocannon
 *     instance with one connection and connectionRate R/N, started 1/N of a second after the one
 *     before: the same rate, spread over the second as independent clients would send it. Add
 *     --aligned to use autocannon's overallRate as it is.
 *
 * --with-worker also runs a worker, which trains the submitted jobs one after the other while the
 * load runs (--epochs each, default 1: short jobs, so the worker also exports a model every few
 * seconds; --epochs 50: one long training). --api-processes sets API_PROCESSES (node:cluster). --cpu-prof writes a V8 CPU profile of
 * the API process(es) into DIR. Rate limiting and the queued-jobs quota are lifted for the bench.
 * Prints one JSON line with the percentiles (ms, measured per response by the client) and the CPU
 * time spent per request (from /proc) by the API process(es), the Postgres backends of the bench's
 * database, the Redis server (shared: includes anything else using it) and autocannon (this process).
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { percentile, processCpuSeconds, startLocalService } from './local-service.mjs';
import { recordResult } from '../record.mjs';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '500' },
    rate: { type: 'string' },
    aligned: { type: 'boolean', default: false },
    'api-processes': { type: 'string', default: '1' },
    'with-worker': { type: 'boolean', default: false },
    epochs: { type: 'string', default: '1' },
    'log-level': { type: 'string', default: 'info' },
    'cpu-prof': { type: 'string' },
  },
});
const connections = Number(values.connections);
/** The local Redis server, to count its CPU time (shared with whatever else uses it). */
const redisPid = Number(execFileSync('pgrep', ['-o', 'redis-server'], { encoding: 'utf8' }).trim()) || null;
const rate = values.rate === undefined ? null : Number(values.rate);

const apiEnv = { API_PROCESSES: values['api-processes'] };
const service = await startLocalService({
  extraEnv: { RATE_LIMIT_PER_MINUTE: '0', MAX_CONCURRENT_REQUESTS_PER_TENANT: '0', MAX_QUEUED_JOBS_PER_TENANT: '10000000' },
  apiLogLevel: values['log-level'],
  apiEnv,
  apiNodeArgs: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
});

const body = JSON.stringify({
  model: { architecture: 'lenet5' },
  dataset: { builtin: 'synthetic' },
  hyperparameters: { epochs: Number(values.epochs) },
});

/** One autocannon run; resolves with its result and every response's status and latency. */
function cannon(options, latencies, statuses) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${service.url}/v1/jobs`,
        method: 'POST',
        headers: { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' },
        body,
        ...options,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      latencies.lastAt = performance.now();
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    });
  });
}

async function load(amount) {
  const latencies = [];
  const statuses = new Map();
  const started = performance.now();
  if (rate === null) {
    await cannon({ connections, amount }, latencies, statuses);
  } else if (values.aligned) {
    await cannon({ connections, amount, overallRate: rate }, latencies, statuses);
  } else {
    const perClient = rate / connections;
    if (!Number.isInteger(perClient)) throw new Error(`--rate must be a multiple of --connections (${connections})`);
    const runs = [];
    for (let i = 0; i < connections; i++) {
      runs.push(cannon({ connections: 1, amount: Math.ceil(amount / connections), connectionRate: perClient }, latencies, statuses));
      await new Promise((resolve) => setTimeout(resolve, 1000 / connections));
    }
    await Promise.all(runs);
  }
  // Up to the last answer: autocannon reports the end of a run only at its next one-second tick.
  const seconds = (latencies.lastAt - started) / 1000;
  return { latencies, statuses, requestsPerSecond: Math.round(latencies.length / seconds) };
}

try {
  if (values['with-worker']) await service.startWorker();
  // The API builds its catalog in a child process at start-up; waiting for it keeps that child's CPU
  // time out of the measurement.
  await fetch(`${service.url}/v1/architectures`, { headers: { authorization: `Bearer ${service.key}` } });
  await load(Number(values.warmup));
  const cpu = async () => ({
    api: service.apiCpuSeconds(),
    postgres: await service.postgresCpuSeconds(),
    redis: redisPid ? processCpuSeconds(redisPid) : NaN,
    client: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  });
  const cpuBefore = await cpu();
  const { latencies, statuses, requestsPerSecond } = await load(Number(values.requests));
  const cpuAfter = await cpu();
  // Postgres backends are per connection: the pool's connections stay open from warm-up to here.
  const cpuMsPerRequest = Object.fromEntries(
    Object.keys(cpuBefore).map((part) => [part, Math.round(((cpuAfter[part] - cpuBefore[part]) * 1000 * 100) / latencies.length) / 100]),
  );
  latencies.sort((a, b) => a - b);
  const round = (ms) => Math.round(ms * 100) / 100;
  console.log(
    JSON.stringify(
      recordResult('submit-latency', {
        bench: 'POST /v1/jobs',
        load:
          rate === null
            ? 'closed loop'
            : `${rate} requests/s${values.aligned ? ' (autocannon overallRate, aligned bursts)' : ' (staggered clients)'}`,
        connections,
        apiProcesses: Number(values['api-processes']),
        requests: latencies.length,
        withWorker: values['with-worker'],
        epochsPerJob: Number(values.epochs),
        apiLogLevel: values['log-level'],
        statuses: Object.fromEntries(statuses),
        requestsPerSecond,
        cpuMsPerRequest,
        latencyMs: {
          p50: round(percentile(latencies, 50)),
          p95: round(percentile(latencies, 95)),
          p99: round(percentile(latencies, 99)),
          max: round(latencies.at(-1)),
        },
        goalP99Ms: 50,
      }),
    ),
  );
} finally {
  await service.stop();
}
