#!/usr/bin/env node
/**
 * What a job costs through the service against the `trainyard train` process for the same recipe
 * (issue 17: at most 1.15x), wall-clock from POST to `succeeded`, and where the service's time goes.
 *
 * One throwaway service (a real API and worker, `trainyard start`, fresh database, queue and storage;
 * see local-service.mjs), then alternating rounds of:
 *   - cli:     `trainyard train --model M --dataset D --epochs E --out TMP --json`, spawn to exit;
 *   - service: POST /v1/jobs with the same recipe, until its `succeeded` event arrives.
 * Between two sides the bench waits until the API and worker (and the worker's spare training child)
 * are idle. A round that starts with the 1-minute load average above --max-load is discarded and run
 * again (../rounds.mjs); the verdict is the median ratio of the kept rounds.
 *
 * The service's time is attributed from the job's event log (GET /v1/jobs/{id}/events: every status
 * and phase event with its time) and its Postgres timestamps:
 *   submit    POST until its answer                       queue     row inserted -> claimed (running)
 *   childStart claimed -> the child reports loading_data    dataAndModel loading_data -> training (engine, dataset, model)
 *   training  training -> evaluating (epochs, checkpoints)  evaluation evaluating -> saving
 *   export    saving -> the child's second saving (model files, safetensors)
 *   upload    the second saving -> succeeded (storage, model row, the succeeded transition)
 *   notify    succeeded event -> seen by the bench
 * and the child's own clock (its `job timings` log line, when the worker has it) splits them further.
 * The CLI's time is split from its log lines (stderr, with times).
 *
 *   npm run build && node bench/service/job-overhead.mjs [--rounds 5] [--epochs 3] [--model lenet5]
 *       [--dataset fashion-mnist] [--max-load 1.5] [--settle 180] [--worker-env KEY=VALUE ...]
 *
 * Results (every round, discarded ones too, and the summary) go to bench/results/job-overhead.jsonl.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobChannels } from '@trainyard/queue';
import { recordResult } from '../record.mjs';
import { alternatingRounds, benchContext, median } from '../rounds.mjs';
import { processCpuSeconds, processTreeCpuSeconds, startLocalService } from './local-service.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(root, 'services/cli/bin/trainyard.js');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    epochs: { type: 'string', default: '3' },
    model: { type: 'string', default: 'lenet5' },
    dataset: { type: 'string', default: 'fashion-mnist' },
    'max-load': { type: 'string', default: '1.5' },
    settle: { type: 'string', default: '180' },
    'worker-env': { type: 'string', multiple: true, default: [] },
    'no-warmup': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const epochs = Number(values.epochs);
const maxLoad = Number(values['max-load']);
const workerEnv = Object.fromEntries(
  values['worker-env'].map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const log = (message) => process.stderr.write(`# ${message}\n`);
const seconds = (ms) => (ms === null || ms === undefined || !Number.isFinite(ms) ? null : Math.round(ms) / 1000);

const scratch = await mkdtemp(join(tmpdir(), 'trainyard-job-overhead-'));
const service = await startLocalService();
const channels = new JobChannels({ redisUrl: service.env.REDIS_URL, prefix: service.env.QUEUE_PREFIX });
const headers = { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' };
/** The child's `job timings` log lines, and the training child's pid, by job id. */
const childTimings = new Map();
const childPids = new Map();
let workerPid;
// Ctrl-C or a timeout: the throwaway service, its database and queue keys still go.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping the service`);
    void Promise.allSettled([channels.close(), service.stop(), rm(scratch, { recursive: true, force: true })]).then(() =>
      process.exit(130),
    );
  });
}

try {
  workerPid = (
    await service.startWorker(workerEnv, {
      onLine: (line) => {
        if (!line.includes('"msg":"job timings"') && !line.includes('"msg":"training child started"')) return;
        try {
          const entry = JSON.parse(line);
          if (entry.timings) childTimings.set(entry.jobId, entry.timings);
          if (entry.pid) childPids.set(entry.jobId, entry.pid);
        } catch {
          // not JSON: ignore
        }
      },
    })
  ).pid;
  await waitUntilIdle();
  const sides = { cli: runCli, service: runServiceJob };
  if (!values['no-warmup']) {
    // The first run of each pays for cold file caches and the first primitives; neither is kept.
    log('warm-up: one epoch of each side');
    await runCli(1);
    await waitUntilIdle();
    await runServiceJob(1);
  }
  const { kept, discarded } = await alternatingRounds({
    sides,
    rounds,
    maxLoad,
    settleSeconds: Number(values.settle),
    log,
    between: waitUntilIdle,
  });
  const context = benchContext({
    bench: 'job-overhead',
    recipe: { model: values.model, dataset: values.dataset, epochs },
    maxLoad,
    workerEnv,
  });
  const rows = kept.map((round) => summarizeRound(round));
  const discardedRows = discarded.map((round) => summarizeRound(round));
  for (const row of [...rows, ...discardedRows]) recordResult('job-overhead', { ...context, ...row });
  const phaseNames = [...new Set(rows.flatMap((row) => Object.keys(row.servicePhases)))];
  const cliPhaseNames = [...new Set(rows.flatMap((row) => Object.keys(row.cliPhases)))];
  const summary = {
    ...context,
    roundsKept: rows.length,
    roundsDiscarded: discardedRows.length,
    loadAtStart: rows.map((row) => row.loadAtStart),
    cliSeconds: median(rows.map((row) => row.cliSeconds)),
    serviceSeconds: median(rows.map((row) => row.serviceSeconds)),
    ratio: median(rows.map((row) => row.ratio)),
    ratios: rows.map((row) => row.ratio),
    cliCpuSeconds: median(rows.map((row) => row.cliCpuSeconds)),
    serviceCpuSeconds: median(rows.map((row) => row.serviceCpuSeconds)),
    cpuRatio: median(rows.map((row) => row.cpuRatio)),
    goalRatio: 1.15,
    servicePhasesMedianSeconds: Object.fromEntries(phaseNames.map((name) => [name, median(rows.map((row) => row.servicePhases[name]))])),
    cliPhasesMedianSeconds: Object.fromEntries(cliPhaseNames.map((name) => [name, median(rows.map((row) => row.cliPhases[name]))])),
    childTimingsMedianSeconds: medianOfObjects(rows.map((row) => row.childTimings).filter(Boolean)),
  };
  recordResult('job-overhead', { ...summary, summary: true });
  console.table(
    rows.map((row) => ({
      round: row.round,
      order: row.order.join('>'),
      load: row.loadAtStart,
      cli: row.cliSeconds,
      service: row.serviceSeconds,
      ratio: row.ratio,
      cpuRatio: row.cpuRatio,
      ...row.servicePhases,
    })),
  );
  console.log(JSON.stringify(summary));
} finally {
  await channels.close();
  await service.stop();
  await rm(scratch, { recursive: true, force: true });
}

/** `trainyard train` from spawn to exit, with its phases from its log lines. */
async function runCli(epochsOfRun = epochs) {
  const out = join(scratch, `cli-${Date.now()}`);
  const startedAt = Date.now();
  const command = [
    process.execPath,
    CLI,
    'train',
    ...['--model', values.model, '--dataset', values.dataset, '--epochs', String(epochsOfRun), '--out', out, '--json'],
  ];
  // /usr/bin/time reports the CPU seconds the process used (a figure the machine's load moves less).
  const timed = existsSync('/usr/bin/time');
  const child = timed
    ? spawn('/usr/bin/time', ['-f', 'cpuSeconds=%U+%S', ...command], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let cpuSeconds = null;
  const lines = [];
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  createInterface({ input: child.stderr }).on('line', (line) => {
    const cpu = /^cpuSeconds=([\d.]+)\+([\d.]+)$/.exec(line);
    if (cpu) {
      cpuSeconds = Math.round((Number(cpu[1]) + Number(cpu[2])) * 100) / 100;
      return;
    }
    try {
      const entry = JSON.parse(line);
      if (entry.time && entry.msg) lines.push({ at: Date.parse(entry.time), msg: entry.msg });
    } catch {
      lines.push({ at: Date.now(), msg: line });
    }
  });
  const exitCode = await new Promise((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const endedAt = Date.now();
  await rm(out, { recursive: true, force: true });
  if (exitCode !== 0)
    throw new Error(
      `trainyard train exited with ${exitCode}: ${lines
        .map((l) => l.msg)
        .join('\n')
        .slice(-2000)}`,
    );
  const result = JSON.parse(stdout.trim().split('\n').at(-1));
  const first = (msg) => lines.find((line) => line.msg === msg)?.at ?? null;
  const last = (msg) => lines.findLast((line) => line.msg === msg)?.at ?? null;
  const runStart = first('training run');
  const lastEpoch = last('epoch finished');
  const evaluated = first('evaluation');
  return {
    seconds: seconds(endedAt - startedAt),
    cpuSeconds,
    trainSeconds: result.trainSeconds,
    testAccuracy: result.testAccuracy,
    engine: result.engine,
    phases: {
      startAndData: seconds(runStart - startedAt),
      training: seconds(lastEpoch - runStart),
      evaluation: seconds(evaluated - lastEpoch),
      exportAndExit: seconds(endedAt - evaluated),
    },
  };
}

/** One job through the service, POST to its `succeeded` event, with its phases from the event log. */
async function runServiceJob(epochsOfRun = epochs) {
  const cpuBefore = serviceCpuSeconds();
  const startedAt = Date.now();
  const response = await fetch(`${service.url}/v1/jobs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      model: { architecture: values.model },
      dataset: { builtin: values.dataset },
      hyperparameters: { epochs: epochsOfRun },
    }),
  });
  const answeredAt = Date.now();
  const job = await response.json();
  if (response.status !== 201) throw new Error(`submit answered ${response.status}: ${JSON.stringify(job)}`);
  const endedAt = await new Promise((resolveEnd, reject) => {
    let done = false;
    const finish = (event) => {
      if (done || event.type !== 'status' || !['succeeded', 'failed', 'cancelled'].includes(event.status)) return;
      done = true;
      if (event.status !== 'succeeded') reject(new Error(`job ${job.id} ended ${event.status}: ${JSON.stringify(event.error)}`));
      else resolveEnd(Date.now());
    };
    // Subscribe, then read the log: an event published in between is in the log.
    channels
      .onJobEvents(job.id, finish)
      .then(() => channels.jobEventsSince(job.id, null))
      .then((logged) => logged.forEach(({ event }) => finish(event)))
      .catch(reject);
  });
  // The worker reaps its training child at the end: the child's CPU is in the worker's own figure by then.
  await waitForChildReaped(job.id);
  const cpuSeconds = Math.round((serviceCpuSeconds() - cpuBefore) * 100) / 100;
  const events = (await channels.jobEventsSince(job.id, null)).map(({ event }) => event);
  const row = await (await fetch(`${service.url}/v1/jobs/${job.id}`, { headers })).json();
  const metrics = await (await fetch(`${service.url}/v1/jobs/${job.id}/metrics`, { headers })).json();
  const at = (predicate, which = 'first') => {
    const found = which === 'first' ? events.find(predicate) : events.findLast(predicate);
    return found ? Date.parse(found.at) : null;
  };
  const phase = (name, which) => at((e) => e.type === 'phase' && e.phase === name, which);
  const createdAt = Date.parse(row.createdAt);
  const claimedAt = at((e) => e.type === 'status' && e.status === 'running');
  const loadingAt = phase('loading_data');
  const trainingAt = phase('training');
  const evaluatingAt = phase('evaluating');
  const savingAt = phase('saving');
  const uploadingAt = phase('saving', 'last');
  const succeededAt = at((e) => e.type === 'status' && e.status === 'succeeded');
  const epochSeconds = metrics.epochs.reduce((sum, epoch) => sum + epoch.seconds, 0);
  return {
    seconds: seconds(endedAt - startedAt),
    cpuSeconds,
    jobId: job.id,
    engine: row.engine,
    testAccuracy: row.evaluation?.top1 ?? null,
    trainSeconds: Math.round(epochSeconds * 10) / 10,
    phases: {
      submit: seconds(answeredAt - startedAt),
      queue: seconds(claimedAt - createdAt),
      childStart: seconds(loadingAt - claimedAt),
      dataAndModel: seconds(trainingAt - loadingAt),
      training: seconds(evaluatingAt - trainingAt),
      trainingOutsideEpochs: seconds(evaluatingAt - trainingAt - epochSeconds * 1000),
      evaluation: seconds(savingAt - evaluatingAt),
      export: seconds(uploadingAt - savingAt),
      upload: seconds(succeededAt - uploadingAt),
      notify: seconds(endedAt - succeededAt),
    },
    childTimings: childTimings.get(job.id) ?? null,
  };
}

function summarizeRound(round) {
  const { cli, service: job } = round.results;
  return {
    round: round.round,
    attempt: round.attempt,
    order: round.order,
    loadAtStart: round.loadAtStart,
    loadAtEnd: round.loadAtEnd,
    cliSeconds: cli.seconds,
    serviceSeconds: job.seconds,
    ratio: +(job.seconds / cli.seconds).toFixed(3),
    cliCpuSeconds: cli.cpuSeconds,
    serviceCpuSeconds: job.cpuSeconds,
    cpuRatio: cli.cpuSeconds && job.cpuSeconds ? +(job.cpuSeconds / cli.cpuSeconds).toFixed(3) : null,
    cliTrainSeconds: cli.trainSeconds,
    serviceTrainSeconds: job.trainSeconds,
    engines: { cli: cli.engine, service: job.engine },
    testAccuracy: { cli: cli.testAccuracy, service: job.testAccuracy },
    servicePhases: job.phases,
    cliPhases: cli.phases,
    childTimings: job.childTimings,
  };
}

/**
 * CPU seconds of the worker (itself and the training children it has reaped) and the API. The spare
 * child it forks next is not counted until it runs a job.
 */
function serviceCpuSeconds() {
  return processCpuSeconds(workerPid, { withReapedChildren: true }) + processCpuSeconds(service.apiPid());
}

/** Until the job's training child is gone from /proc (exited and reaped by the worker). */
async function waitForChildReaped(jobId) {
  const pid = childPids.get(jobId);
  for (let tries = 0; pid !== undefined && existsSync(`/proc/${pid}`) && tries < 200; tries++) await sleep(50);
}

function medianOfObjects(objects) {
  if (objects.length === 0) return null;
  const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
  return Object.fromEntries(keys.map((key) => [key, median(objects.map((o) => o[key]))]));
}

/**
 * Until the API and the worker (with its training children) used under 5% of a core for a second:
 * after a job the worker forks its next spare child, whose start-up must not land in the next side.
 */
async function waitUntilIdle() {
  const deadline = Date.now() + 60_000;
  const cpu = () => processTreeCpuSeconds(workerPid) + processTreeCpuSeconds(service.apiPid());
  let before = cpu();
  for (;;) {
    await sleep(1000);
    const now = cpu();
    if (now - before < 0.05 || Date.now() > deadline) return;
    before = now;
  }
}
