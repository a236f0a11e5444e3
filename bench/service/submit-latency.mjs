#!/usr/bin/env node
/**
 * POST /v1/jobs latency under load: 50 concurrent clients (autocannon) submit LeNet-5 jobs to a real
 * `trainyard start api` process on a fresh database. Issue 4's goal: p99 under 50 ms.
 *
 *   npm run build && node bench/service/submit-latency.mjs [--requests 5000] [--connections 50] [--with-worker] [--log-level info]
 *
 * --with-worker also runs a worker, which starts training the first job while the load runs (the
 * rest stay queued). Rate limiting and the queued-jobs quota are lifted for the bench.
 * Prints one JSON line with the percentiles (ms, measured per response by the client).
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { percentile, startLocalService } from './local-service.mjs';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '500' },
    'with-worker': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'info' },
  },
});

const service = await startLocalService({
  extraEnv: { RATE_LIMIT_PER_MINUTE: '0', MAX_QUEUED_JOBS_PER_TENANT: '10000000' },
  apiLogLevel: values['log-level'],
});
try {
  if (values['with-worker']) await service.startWorker();
  const body = JSON.stringify({
    model: { architecture: 'lenet5' },
    dataset: { builtin: 'synthetic' },
    hyperparameters: { epochs: 1 },
  });
  const load = (amount) =>
    new Promise((resolve, reject) => {
      const latencies = [];
      const statuses = new Map();
      const instance = autocannon(
        {
          url: `${service.url}/v1/jobs`,
          method: 'POST',
          connections: Number(values.connections),
          amount,
          headers: { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' },
          body,
        },
        (error, result) => (error ? reject(error) : resolve({ result, latencies, statuses })),
      );
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        latencies.push(responseTime);
        statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
      });
    });

  await load(Number(values.warmup));
  const { result, latencies, statuses } = await load(Number(values.requests));
  latencies.sort((a, b) => a - b);
  const round = (ms) => Math.round(ms * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'POST /v1/jobs',
      connections: Number(values.connections),
      requests: latencies.length,
      withWorker: values['with-worker'],
      apiLogLevel: values['log-level'],
      statuses: Object.fromEntries(statuses),
      requestsPerSecond: Math.round(result.requests.average),
      latencyMs: {
        p50: round(percentile(latencies, 50)),
        p95: round(percentile(latencies, 95)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.at(-1)),
      },
      goalP99Ms: 50,
    }),
  );
} finally {
  await service.stop();
}
