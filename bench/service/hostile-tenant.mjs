#!/usr/bin/env node
/**
 * One tenant attacks the service while another submits and reads (issue 15). Rounds alternate: in a
 * "quiet" phase only the victim works; in an "attack" phase the attacker, with a valid key, at the same
 * time: sends control characters, guesses keys, scrapes /metrics in a loop, opens event streams it never
 * reads, starts uploads that stall, bursts submissions past its queue limit, asks for sample images of
 * a Fashion-MNIST upload and of a 1 GiB IDX upload (1 MB gzipped) with concurrent calls, submits
 * vgg19_bn at batch 4096 and vgg11 with smallInput at 512x512, and uploads a tiny archive of 20 PNGs
 * of 36 MP and an image folder of 3,000 classes (as a second attacking tenant, attacker-uploads:
 * the first one's stalled uploads hold its upload slots). Recorded: the API's
 * peak resident memory, with every process it started (inference processes) summed in (must stay
 * under 1 GiB; the API process's own peak is recorded too), and the victim's request latencies (p50, p99;
 * the attack p99 must stay under 3x the quiet p99), the medians over rounds, the load average and the
 * commit. Needs a build, Postgres and Redis on 127.0.0.1 and /usr/share/datasets/fashion-mnist.
 *
 * The victim runs in a worker thread of its own (hostile-victim.mjs): on the main thread, its timestamps
 * waited behind the bench's own parsing of the attacker's answers.
 *
 *   node bench/service/hostile-tenant.mjs [--rounds 3] [--seconds 20] [--idx-mib 1024]
 *        [--attacks control,keys,metrics,submit,vgg19,vgg11,pixels,classes,samples,streams,stalled] [--loop-delay]
 *        [--cpu-prof DIR]
 *
 * --attacks mounts only the attacks named (all by default), to find which ones cost the victim;
 * --loop-delay preloads api-loop-probe.mjs into the API and records its event-loop delay per phase;
 * --cpu-prof writes a V8 CPU profile of the API process into DIR when it exits.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { encodePng } from '@trainyard/cli/testing';
import { percentile, processTree, startLocalService } from './local-service.mjs';
import { recordResult } from '../record.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '20' },
    'idx-mib': { type: 'string', default: '1024' },
    attacks: { type: 'string', default: 'all' },
    'loop-delay': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
const ATTACKS = ['control', 'keys', 'metrics', 'submit', 'vgg19', 'vgg11', 'pixels', 'classes', 'samples', 'streams', 'stalled'];
const attacks = new Set(values.attacks === 'all' ? ATTACKS : values.attacks.split(','));
for (const name of attacks) if (!ATTACKS.includes(name)) throw new Error(`unknown attack ${name}: one of ${ATTACKS.join(', ')}`);
const rounds = Number(values.rounds);
const phaseMs = Number(values.seconds) * 1000;
const CLI = fileURLToPath(new URL('../../services/cli/dist/src/main.js', import.meta.url));
const FASHION = '/usr/share/datasets/fashion-mnist';

const PROBE = fileURLToPath(new URL('./api-loop-probe.mjs', import.meta.url));
const service = await startLocalService({
  apiLogLevel: 'warn',
  apiNodeArgs: [
    ...(values['loop-delay'] ? ['--import', PROBE] : []),
    ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
  ],
});
const { url } = service;
const victim = { authorization: `Bearer ${service.key}` };
const attacker = { authorization: `Bearer ${await newKey('attacker')}` };
const uploader = { authorization: `Bearer ${await newKey('attacker-uploads')}` };
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

/**
 * The API process's RSS, and that of the API with every process it started summed in (pages they
 * share are counted in each).
 */
function rssSample(pid) {
  const own = rssBytes(pid);
  let tree = own;
  for (const child of processTree(pid).slice(1)) {
    try {
      tree += rssBytes(child);
    } catch {
      // it exited between the listing and the read
    }
  }
  return { own, tree };
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

/** The victim, in its own thread (hostile-victim.mjs) for the whole run; one phase per call. */
const victimThread = new Worker(new URL('./hostile-victim.mjs', import.meta.url), {
  workerData: { url, authorization: victim.authorization },
});
victimThread.unref();
function victimLoop(until, latencies, refusals, slowest) {
  return new Promise((resolve, reject) => {
    victimThread.once('error', reject);
    victimThread.once('message', (result) => {
      victimThread.off('error', reject);
      latencies.push(...result.latencies);
      refusals.push(...result.refusals);
      slowest.push(...result.slowest);
      resolve();
    });
    victimThread.postMessage({ until });
  });
}

/** A valid black 1-bit PNG of width x height, a few KB at 36 MP (rows of zeros deflate about 1000:1). */
function blankPng(width, height) {
  const chunk = (type, data) => {
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1;
  const rows = Buffer.alloc(height * (1 + Math.ceil(width / 8)));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

async function tarGz(entries) {
  const pack = tar.pack();
  for (const [name, data] of entries) pack.entry({ name }, data);
  pack.finalize();
  const chunks = [];
  for await (const chunk of pack) chunks.push(chunk);
  return gzipSync(Buffer.concat(chunks));
}

/** 20 PNGs of 6000x6000 (the 14 KB archive), and an image folder of 3,000 classes of two 8x8 images each. */
const pixelBomb = await tarGz(Array.from({ length: 20 }, (_, i) => [`photos/${i % 2 ? 'cat' : 'dog'}/${i}.png`, blankPng(6000, 6000)]));
const tinyPng = encodePng(8, 8, 1, new Uint8Array(64).fill(128));
const classBomb = await tarGz(Array.from({ length: 6000 }, (_, i) => [`c${i >> 1}/${i & 1}.png`, tinyPng]));

function uploadArchive(headers, name, data) {
  const form = new FormData();
  form.append('file', new Blob([data]), name);
  return fetch(`${url}/v1/datasets`, { method: 'POST', headers, body: form });
}

/** The attacker's loops, all at once, until `until`. Returns counts of the answers it got, by status. */
async function attack(until, datasetIds, attackerJobId) {
  const statuses = {};
  const count = (status) => (statuses[status] = (statuses[status] ?? 0) + 1);
  const loop = async (send) => {
    while (Date.now() < until) {
      try {
        const res = await send();
        // Refusals by status and code: every attack must get a 4xx with its own code, or stay bounded.
        const body = await res.text();
        let code = '';
        try {
          code = res.status >= 400 ? (JSON.parse(body).error?.code ?? '') : '';
        } catch {
          // not JSON
        }
        count(code ? `${res.status} ${code}` : res.status);
      } catch {
        count('error');
      }
    }
  };
  const sockets = [];
  // Event streams never read, and uploads that stall after their first bytes.
  for (let i = 0; i < (attacks.has('streams') ? 30 : 0); i++) {
    const socket = connect(new URL(url).port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`GET /v1/jobs/${attackerJobId}/events HTTP/1.1\r\nHost: x\r\nAuthorization: ${attacker.authorization}\r\n\r\n`);
    socket.pause();
    sockets.push(socket);
  }
  for (let i = 0; i < (attacks.has('stalled') ? 5 : 0); i++) {
    const socket = connect(new URL(url).port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST /v1/datasets HTTP/1.1\r\nHost: x\r\nAuthorization: ${attacker.authorization}\r\nContent-Type: multipart/form-data; boundary=b\r\n` +
        `Content-Length: 1000000000\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="x.zip"\r\n\r\n${'x'.repeat(1000)}`,
    );
    sockets.push(socket);
  }
  let guess = 0;
  // Loops start when called: an attack left out is never called.
  const only = (name, loops) => (attacks.has(name) ? loops() : []);
  await Promise.all([
    ...only('control', () => [loop(() => post('/v1/jobs', attacker, job({ name: 'nul\u0000name' })))]),
    ...only('keys', () => [
      loop(() => fetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer ty_${String(guess++).padStart(43, 'g')}` } })),
    ]),
    ...only('metrics', () => [loop(() => fetch(`${url}/metrics`)), loop(() => fetch(`${url}/metrics`))]),
    ...only('submit', () => [loop(() => post('/v1/jobs', attacker, job()))]),
    ...only('vgg19', () => [
      loop(() =>
        post('/v1/jobs', attacker, {
          model: { architecture: 'vgg19_bn' },
          dataset: { builtin: 'synthetic', imageSize: [224, 224], channels: 3 },
          hyperparameters: { batchSize: 4096 },
        }),
      ),
    ]),
    ...only('vgg11', () => [
      loop(() =>
        post('/v1/jobs', attacker, {
          model: { architecture: 'vgg11', options: { smallInput: true } },
          dataset: { builtin: 'synthetic', imageSize: [512, 512], channels: 3 },
          hyperparameters: { batchSize: 8 },
        }),
      ),
    ]),
    ...only('pixels', () => [loop(() => uploadArchive(uploader, 'photos.tar.gz', pixelBomb))]),
    ...only('classes', () => [loop(() => uploadArchive(uploader, 'classes.tar.gz', classBomb))]),
    ...only('samples', () =>
      datasetIds.flatMap((id) =>
        Array.from({ length: 3 }, () => loop(() => fetch(`${url}/v1/datasets/${id}/samples`, { headers: attacker }))),
      ),
    ),
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

/** An IDX pair of `mib` MiB of 28x28 images, gzipped (about 1 MB per GiB: the images are all zeros). */
async function uploadLargeIdx(mib) {
  const count = Math.floor((mib * 1024 ** 2) / (28 * 28));
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x803, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  const images = gzipSync(Buffer.concat([header, Buffer.alloc(count * 28 * 28)]), { level: 1 });
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(count, 4);
  for (let i = 0; i < count; i++) labels[8 + i] = i % 10;
  const form = new FormData();
  form.append('images', new Blob([images]), 'train-images-idx3-ubyte.gz');
  form.append('labels', new Blob([gzipSync(labels)]), 'train-labels-idx1-ubyte.gz');
  const res = await fetch(`${url}/v1/datasets`, { method: 'POST', headers: attacker, body: form });
  if (res.status !== 201) throw new Error(`large IDX upload: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

try {
  const datasetIds = [await uploadFashionMnist(), await uploadLargeIdx(Number(values['idx-mib']))];
  const attackerJob = await (await post('/v1/jobs', attacker, job())).json();
  const pid = service.apiPid();
  const results = [];
  const loopDelayFile = join(tmpdir(), `trainyard-loop-delay-${pid}.jsonl`);
  const loopDelay = (from, to) => {
    let lines = [];
    try {
      lines = readFileSync(loopDelayFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    } catch {
      return null;
    }
    const seconds = lines.filter((line) => line.t > from + 1000 && line.t <= to);
    if (seconds.length === 0) return null;
    const p99s = seconds.map((line) => line.p99).sort((a, b) => a - b);
    return {
      medianP99Ms: p99s[Math.floor((p99s.length - 1) / 2)],
      maxP99Ms: p99s.at(-1),
      maxMs: Math.max(...seconds.map((line) => line.max)),
    };
  };
  for (let round = 1; round <= rounds; round++) {
    for (const phase of ['quiet', 'attack']) {
      const from = Date.now();
      const until = from + phaseMs;
      const latencies = [];
      const refusals = [];
      const slowest = [];
      let { tree: peakRss, own: peakProcessRss } = rssSample(pid);
      let gone = false;
      const sampler = setInterval(() => {
        try {
          const { own, tree } = rssSample(pid);
          peakRss = Math.max(peakRss, tree);
          peakProcessRss = Math.max(peakProcessRss, own);
        } catch {
          gone = true;
        }
      }, 100);
      const [, statuses] = await Promise.all([
        victimLoop(until, latencies, refusals, slowest),
        phase === 'attack' ? attack(until, datasetIds, attackerJob.id) : null,
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
        apiProcessPeakRssMiB: Math.round(peakProcessRss / 1024 ** 2),
        victimSlowest: slowest,
        victimRefused: refusals.length,
        ...(refusals.length > 0 ? { victimRefusals: refusals.slice(0, 3) } : {}),
        ...(statuses ? { attackerAnswers: statuses } : {}),
        ...(values['loop-delay'] ? { apiLoopDelay: loopDelay(from, Date.now()) } : {}),
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
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    rounds,
    phaseSeconds: phaseMs / 1000,
    ...(values.attacks === 'all' ? {} : { attacks: [...attacks] }),
    victim: 'own thread',
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
  console.log(JSON.stringify(recordResult('hostile-tenant', summary)));
} finally {
  await victimThread.terminate();
  rmSync(join(tmpdir(), `trainyard-loop-delay-${service.apiPid()}.jsonl`), { force: true });
  await service.stop();
}
