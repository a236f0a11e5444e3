/**
 * What one tenant with a valid key could do to the service (issue 15), each answered by a 4xx with its
 * own code or kept bounded: control characters in stored text, guessing keys, too many classes, the
 * evaluation column on every job read, scraping /metrics in a loop, event streams that pile up or are
 * never read. Against the real API, Postgres and Redis; each limit lowered by its variable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { JobChannels } from '@trainyard/queue';
import { lenetJob, REDIS_URL, startTestApi, type TestApi } from './helpers.js';
import { blankPng, idxLabels, idxPair, multipart, png, tarGz, zip } from './dataset-files.js';
import { metricsPortOf } from '../src/routes/metrics.js';
import { claimJob, databaseInternals } from '@trainyard/db/testing';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

interface ListeningApi {
  api: TestApi;
  port: number;
  /** Its UPLOAD_TMP_DIR. */
  tmp: string;
  stop(): Promise<void>;
}

/** An API listening on a real port, with an upload folder of its own; `stop` closes both. */
async function listeningApi(name: string, env: Record<string, string>, options: { logLines?: string[] } = {}): Promise<ListeningApi> {
  const tmp = mkdtempSync(join(tmpdir(), `trainyard-hostile-${name}-`));
  const api = await startTestApi({ UPLOAD_TMP_DIR: tmp, ...env }, options);
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    api,
    port: (api.app.server.address() as AddressInfo).port,
    tmp,
    async stop() {
      api.app.server.closeAllConnections();
      await api.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

function upload(api: TestApi, auth: Record<string, string>, parts: Parameters<typeof multipart>[0]) {
  const body = multipart(parts);
  return api.app.inject({ method: 'POST', url: '/v1/datasets', headers: { ...auth, ...body.headers }, payload: body.payload });
}

function idxParts(classes: number, extra: Parameters<typeof multipart>[0] = [], filename = 'train-images-idx3-ubyte') {
  const { images, labels } = idxPair(40, classes, 8, 8);
  return [
    ...extra,
    { name: 'images', file: { filename, data: images } },
    { name: 'labels', file: { filename: 'train-labels-idx1-ubyte', data: labels } },
  ];
}

describe('stored text, keys, classes and the evaluation column', () => {
  let api: TestApi;
  let auth: Record<string, string>;
  before(async () => {
    // OVER_LIMIT_DELAY_MS=0: the key-guessing check sends 45 refused requests one after another.
    api = await startTestApi({ AUTH_FAILURES_PER_MINUTE: '5', AUTH_CACHE_SECONDS: '60', MAX_CLASSES: '3', OVER_LIMIT_DELAY_MS: '0' });
    auth = await api.authFor('hostile');
  });
  after(async () => api?.close());

  test('a NUL or other control character, or an unpaired surrogate, in any stored string is 400 control_character', async () => {
    const bodies = [
      { ...lenetJob(), name: 'a\u0000b' },
      { ...lenetJob(), name: 'line\nforged' },
      { ...lenetJob(), name: '\u001b[2J' },
      { ...lenetJob(), name: 'half \ud800 a pair' },
      { ...lenetJob(), name: 'c1 \u0085' },
    ];
    for (const body of bodies) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      assert.equal(res.statusCode, 400, `${JSON.stringify(body.name)}: ${res.body}`);
      assert.equal(res.json().error.code, 'control_character');
      assert.deepEqual(res.json().error.details, [{ path: 'body.name', rule: 'control_character' }]);
    }
    // In an object key too, anywhere in the body.
    const nested = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"model":{"architecture":"lenet5","options":{"a\\u0000":1}},"dataset":{"builtin":"synthetic"}}',
    });
    assert.equal(nested.statusCode, 400);
    assert.equal(nested.json().error.code, 'control_character');

    const named = await upload(api, auth, idxParts(2, [{ name: 'name', value: 'data\u0000set' }]));
    assert.equal(named.statusCode, 400, named.body);
    assert.equal(named.json().error.code, 'control_character');
    assert.equal(named.json().error.details[0].path, 'multipart.name');
    const file = await upload(api, auth, idxParts(2, [], 'train-images\u0007-idx3-ubyte'));
    assert.equal(file.statusCode, 400, file.body);
    assert.equal(file.json().error.code, 'control_character');

    assert.equal(await databaseInternals(api.db).prisma.job.count(), 0, 'nothing stored');
    assert.equal(await databaseInternals(api.db).prisma.dataset.count(), 0);
    // Ordinary text, non-ASCII included, is kept as sent.
    const fine = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: auth,
      payload: { ...lenetJob(), name: 'Zürich 東京 🚆' },
    });
    assert.equal(fine.statusCode, 201, fine.body);
    assert.equal(fine.json().name, 'Zürich 東京 🚆');
  });

  test('unknown keys are limited per client address, past the limit without a database query', async () => {
    const authenticate = api.db.tenants.authenticate.bind(api.db.tenants);
    let queries = 0;
    api.db.tenants.authenticate = (key: string) => {
      queries += 1;
      return authenticate(key);
    };
    try {
      const guess = (i: number) =>
        api.app.inject({
          method: 'GET',
          url: '/v1/jobs',
          remoteAddress: '203.0.113.7',
          headers: { authorization: `Bearer ty_${String(i).padStart(43, 'x')}` },
        });
      for (let i = 0; i < 5; i++) assert.equal((await guess(i)).statusCode, 401);
      assert.equal(queries, 5);
      for (let i = 5; i < 50; i++) {
        const res = await guess(i);
        assert.equal(res.statusCode, 429);
        assert.equal(res.json().error.code, 'auth_failures_limit');
        assert.equal(res.json().error.details.variable, 'AUTH_FAILURES_PER_MINUTE');
        assert.ok(Number(res.headers['retry-after']) >= 1);
      }
      assert.equal(queries, 5, 'no query past the limit');
      // Another address is not affected, and a known key from it works.
      const other = await api.app.inject({ method: 'GET', url: '/v1/jobs', remoteAddress: '198.51.100.9', headers: auth });
      assert.equal(other.statusCode, 200);
      // A key that worked lately still works from the blocked address (a tenant behind the same NAT).
      const sameAddress = await api.app.inject({ method: 'GET', url: '/v1/jobs', remoteAddress: '203.0.113.7', headers: auth });
      assert.equal(sameAddress.statusCode, 200, sameAddress.body);
      // The same unknown key sent again from a fresh address costs no second query.
      const before = queries;
      const repeat = () =>
        api.app.inject({
          method: 'GET',
          url: '/v1/jobs',
          remoteAddress: '198.51.100.10',
          headers: { authorization: `Bearer ty_${'r'.repeat(43)}` },
        });
      assert.equal((await repeat()).statusCode, 401);
      assert.equal((await repeat()).statusCode, 401);
      assert.equal(queries, before + 1);
    } finally {
      api.db.tenants.authenticate = authenticate;
    }
  });

  test('a dataset with more classes than MAX_CLASSES is 422 classes_limit, and nothing is stored', async () => {
    const res = await upload(api, auth, idxParts(4));
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().error.code, 'classes_limit');
    assert.deepEqual(res.json().error.details, { limit: 3, classes: 4, variable: 'MAX_CLASSES' });
    assert.equal(await databaseInternals(api.db).prisma.dataset.count(), 0);
    assert.equal((await upload(api, auth, idxParts(3))).statusCode, 201);
  });

  test("an image folder's classes are counted from its folder names, before any image is decoded", async () => {
    // A PNG whose header is fine and whose pixels are not: decoding it fails.
    const broken = Buffer.from(png(8, 8, 100));
    broken[broken.length - 20]! ^= 0xff;
    const folder = (classes: number) =>
      tarGz(
        Array.from({ length: classes * 2 }, (_, i) => ({
          name: `photos/c${i >> 1}/${i & 1}.png`,
          data: i === 0 ? broken : png(8, 8, 10 * i),
        })),
      );
    const tooMany = await upload(api, auth, [{ name: 'file', file: { filename: 'classes.tar.gz', data: folder(4) } }]);
    assert.equal(tooMany.statusCode, 422, tooMany.body);
    assert.equal(tooMany.json().error.code, 'classes_limit', 'refused before the broken image was decoded');
    assert.deepEqual(tooMany.json().error.details, { limit: 3, classes: 4, variable: 'MAX_CLASSES' });
    // Within the limit, the same broken image is decoded, and refused for what it is.
    const decoded = await upload(api, auth, [{ name: 'file', file: { filename: 'classes.tar.gz', data: folder(3) } }]);
    assert.equal(decoded.statusCode, 422, decoded.body);
    assert.equal(decoded.json().error.code, 'dataset_malformed');
  });

  test('only the evaluation route reads the evaluation column', async () => {
    const res = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: lenetJob() });
    const id = res.json().id as string;
    assert.ok(await claimJob(api.db, id, 'w1'));
    const classes = 300;
    const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(1));
    const evaluation = { top1: 0.5, top5: 0.9, loss: 1, classNames: matrix.map((_, i) => `c${i}`), perClass: [], confusionMatrix: matrix };
    assert.ok(await api.db.jobs.succeed(id, 'w1', { engine: 'wasm', evaluation }));

    for (const job of [await api.db.jobs.get(id), await api.db.jobs.findForTenant((await api.db.tenants.findByName('hostile'))!.id, id)]) {
      assert.ok(job);
      assert.ok(!('evaluation' in job), 'the row comes without its evaluation');
    }
    const listed = await api.db.jobs.list((await api.db.tenants.findByName('hostile'))!.id, { limit: 10 });
    assert.ok('items' in listed && listed.items.every((job) => !('evaluation' in job)));
    const shown = await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: auth });
    assert.equal(shown.statusCode, 200);
    assert.ok(shown.body.length < 10_000, `GET /v1/jobs/{id} is ${shown.body.length} bytes`);
    const full = await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}/evaluation`, headers: auth });
    assert.equal(full.statusCode, 200);
    assert.equal(full.json().confusionMatrix.length, classes);
  });
});

describe('/metrics', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ METRICS_PORT: '0', HOST: '127.0.0.1' });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => api?.close());

  test('is served on METRICS_PORT only, and an answer is reused for 5 s', async () => {
    const port = metricsPortOf(api.app);
    assert.ok(port, 'the metrics server listens');
    const apiPort = (api.app.server.address() as AddressInfo).port;
    assert.notEqual(port, apiPort);
    assert.equal((await fetch(`http://127.0.0.1:${apiPort}/metrics`)).status, 404, 'not on PORT');

    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      return Number(/^trainyard_jobs\{status="queued"\} (\d+)$/m.exec(text)?.[1]);
    };
    assert.equal(await scrape(), 0);
    const auth = await api.authFor('metrics-cache');
    assert.equal((await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: lenetJob() })).statusCode, 201);
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => scrape()));
    if (Date.now() - started < 4_000) assert.deepEqual(new Set(answers), new Set([0]), 'within 5 s the cached answer');
    await sleep(5_200);
    assert.equal(await scrape(), 1, 'after 5 s a fresh one');
  });
});

describe('/metrics scraped in a loop', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api?.close());

  test('one client address is answered at most 10 times a second, while another is answered at once', async () => {
    const scrape = (remoteAddress: string) => api.app.inject({ method: 'GET', url: '/metrics', remoteAddress });
    assert.equal((await scrape('192.0.2.1')).statusCode, 200);
    const started = performance.now();
    const loop = Promise.all(Array.from({ length: 20 }, () => scrape('192.0.2.1')));
    const other = await scrape('192.0.2.2');
    const otherMs = performance.now() - started;
    assert.equal(other.statusCode, 200);
    const answers = await loop;
    const loopMs = performance.now() - started;
    assert.deepEqual(new Set(answers.map((res) => res.statusCode)), new Set([200]));
    assert.ok(loopMs >= 1_900, `20 scrapes from one address took ${Math.round(loopMs)} ms`);
    assert.ok(otherMs < 1_000, `another address waited ${Math.round(otherMs)} ms`);
  });
});

describe('event streams', () => {
  let api: TestApi;
  let base: string;
  let channels: JobChannels;
  const logLines: string[] = [];
  before(async () => {
    api = await startTestApi({ MAX_EVENT_STREAMS_PER_TENANT: '2' }, { logLines });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
    channels = new JobChannels({ redisUrl: REDIS_URL, prefix: api.deps.config.queuePrefix });
  });
  after(async () => {
    await channels.close();
    api.app.server.closeAllConnections();
    await api.close();
  });

  async function submit(auth: Record<string, string>): Promise<string> {
    const res = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: lenetJob() });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id;
  }

  test('MAX_EVENT_STREAMS_PER_TENANT open streams per tenant; more are 429 event_streams_limit; another tenant is unaffected', async () => {
    const auth = await api.authFor('streamer');
    const id = await submit(auth);
    const controllers: AbortController[] = [];
    const open = async (headers: Record<string, string>, jobId: string) => {
      const controller = new AbortController();
      controllers.push(controller);
      return fetch(`${base}/v1/jobs/${jobId}/events`, { headers, signal: controller.signal });
    };
    assert.equal((await open(auth, id)).status, 200);
    assert.equal((await open(auth, id)).status, 200);
    const third = await open(auth, id);
    assert.equal(third.status, 429);
    const body = (await third.json()) as { error: { code: string; details: { variable: string; limit: number } } };
    assert.equal(body.error.code, 'event_streams_limit');
    assert.equal(body.error.details.limit, 2);

    const otherAuth = await api.authFor('streamer-neighbour');
    assert.equal((await open(otherAuth, await submit(otherAuth))).status, 200, 'the other tenant has its own allowance');

    // A closed stream frees its place.
    controllers[0]!.abort();
    await until(async () => {
      const res = await open(auth, id);
      if (res.status === 200) return true;
      await res.body?.cancel();
      return false;
    }, 'a place to free up');
    for (const controller of controllers) controller.abort();
  });

  test('a client that never reads is dropped once its unsent events pass the bound', async () => {
    const auth = await api.authFor('never-reads');
    const id = await submit(auth);
    const socket = connect((api.app.server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /v1/jobs/${id}/events HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.authorization}\r\n\r\n`);
    socket.pause(); // and never read
    let closed = false;
    socket.once('close', () => (closed = true));
    socket.on('error', () => {});
    await sleep(500);
    // A worker's events, large ones (a long error message), far more than socket buffers hold.
    const message = 'x'.repeat(64 * 1024);
    const at = new Date().toISOString();
    const flood = async () => {
      for (let i = 0; i < 400 && !logLines.some((line) => line.includes('event stream dropped')); i++) {
        await channels.publishEvent({ type: 'phase', jobId: id, at, phase: 'training', note: message } as never);
      }
    };
    await flood();
    await until(
      () => logLines.some((line) => line.includes('event stream dropped: the client does not read')),
      'the API to drop the client',
    );
    const rss = process.memoryUsage().rss;
    assert.ok(rss < 2 * 1024 ** 3, `rss ${rss}`);
    socket.resume();
    await until(() => closed, 'the connection to close');
    // Its place is free again.
    const again = await fetch(`${base}/v1/jobs/${id}/events`, { headers: auth, signal: AbortSignal.timeout(10_000) }).catch((error) => {
      throw new Error(`fetch failed: ${String((error as Error).cause)}`);
    });
    assert.equal(again.status, 200);
    await again.body?.cancel();
  });
});

describe('uploads and counts', () => {
  let api: TestApi;
  let port: number;
  let tmp: string;
  let served: ListeningApi;
  before(async () => {
    served = await listeningApi('uploads', {
      UPLOAD_IDLE_TIMEOUT_SECONDS: '2',
      MAX_CONCURRENT_UPLOADS_PER_TENANT: '1',
      MAX_QUEUED_JOBS_PER_TENANT: '5',
      MAX_DATASETS_PER_TENANT: '2',
      TENANT_STORAGE_QUOTA: '40kb',
    });
    ({ api, port, tmp } = served);
  });
  after(async () => served?.stop());

  /** An upload over a real socket that sends its first bytes and then nothing; resolves with what the server answered. */
  function stalledUpload(auth: Record<string, string>, path = '/v1/datasets'): { answer: Promise<string>; sent: Promise<void> } {
    const boundary = 'stalled-boundary';
    const part = path === '/v1/datasets' ? 'images' : 'file';
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', () => {});
    const sent = new Promise<void>((resolve) =>
      socket.once('connect', () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.authorization}\r\n` +
            `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 10000000\r\n\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="${part}"; filename="upload"\r\n\r\n` +
            'x'.repeat(1000),
          () => resolve(),
        );
      }),
    );
    const answer = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
    return { answer, sent };
  }

  test('an upload that stops sending is answered 408 upload_timeout and closed; it leaves no row and no temporary folder', async () => {
    const auth = await api.authFor('stalls');
    const { answer, sent } = stalledUpload(auth);
    await sent;
    // Meanwhile it holds the tenant's only upload slot (MAX_CONCURRENT_UPLOADS_PER_TENANT=1)...
    await until(() => readdirSync(tmp).length > 0, 'the upload to start');
    const second = await upload(api, auth, idxParts(2));
    assert.equal(second.statusCode, 429, second.body);
    assert.equal(second.json().error.code, 'concurrent_uploads_limit');
    assert.ok(Number(second.headers['retry-after']) >= 1);
    // ...but not another tenant's.
    const neighbour = await upload(api, await api.authFor('stalls-neighbour'), idxParts(2));
    assert.equal(neighbour.statusCode, 201, neighbour.body);

    const text = await answer;
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /"code":"upload_timeout"/);
    assert.deepEqual(readdirSync(tmp), [], 'the temporary folder is removed');
    const tenant = (await api.db.tenants.findByName('stalls'))!;
    assert.equal(await api.db.datasets.countForTenant(tenant.id), 0);
    // The slot is free again.
    assert.equal((await upload(api, auth, idxParts(2))).statusCode, 201);
  });

  test('weights uploads go through the same mechanism: the idle timeout, the upload slots and the storage quota', async () => {
    const auth = await api.authFor('weights-uploader');
    const { answer, sent } = stalledUpload(auth, '/v1/weights');
    await sent;
    await until(() => readdirSync(tmp).length > 0, 'the upload to start');
    // One upload slot per tenant, whatever is uploaded.
    const second = await upload(api, auth, idxParts(2));
    assert.equal(second.statusCode, 429, second.body);
    assert.equal(second.json().error.code, 'concurrent_uploads_limit');
    const text = await answer;
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /"code":"upload_timeout"/);
    assert.deepEqual(readdirSync(tmp), [], 'the temporary folder is removed');

    // 40 KB of quota: a 50 KB file is refused while it streams in, before it is inspected.
    const body = multipart([
      { name: 'architecture', value: 'resnet18' },
      { name: 'file', file: { filename: 'resnet18.pth', data: Buffer.alloc(50 * 1024, 7) } },
    ]);
    const over = await api.app.inject({ method: 'POST', url: '/v1/weights', headers: { ...auth, ...body.headers }, payload: body.payload });
    assert.equal(over.statusCode, 413, over.body);
    assert.equal(over.json().error.code, 'storage_quota_exceeded');
    assert.equal(over.json().error.details.variable, 'TENANT_STORAGE_QUOTA');
    const tenant = (await api.db.tenants.findByName('weights-uploader'))!;
    assert.equal(await api.db.weights.countForTenant(tenant.id), 0, 'nothing stored');
  });

  test('parallel submissions cannot overrun MAX_QUEUED_JOBS_PER_TENANT', async () => {
    const auth = await api.authFor('burst');
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: lenetJob() })),
    );
    const created = answers.filter((res) => res.statusCode === 201).length;
    assert.equal(created, 5, answers.map((res) => res.statusCode).join(','));
    for (const res of answers.filter((res) => res.statusCode !== 201)) {
      assert.equal(res.statusCode, 429);
      assert.equal(res.json().error.code, 'queued_jobs_limit');
    }
    // With idempotency keys too (the other insert path).
    const keyed = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        api.app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...auth, 'idempotency-key': `k${i}` }, payload: lenetJob() }),
      ),
    );
    assert.ok(
      keyed.every((res) => res.statusCode === 429),
      keyed.map((res) => res.statusCode).join(','),
    );
    const tenant = (await api.db.tenants.findByName('burst'))!;
    assert.equal(await api.db.jobs.countWithStatus(tenant.id, ['queued']), 5);
  });

  test('parallel uploads cannot overrun MAX_DATASETS_PER_TENANT, nor TENANT_STORAGE_QUOTA', async () => {
    // One slot per tenant is the default here: several tenants' keys would not test the count, so
    // this tenant's uploads go through distinct API processes' worth of slots: raise it for the test.
    const wide = await startTestApi({ MAX_CONCURRENT_UPLOADS_PER_TENANT: '10', MAX_DATASETS_PER_TENANT: '2', TENANT_STORAGE_QUOTA: '1mb' });
    try {
      const auth = await wide.authFor('parallel-uploads');
      const answers = await Promise.all(Array.from({ length: 8 }, () => upload(wide, auth, idxParts(2))));
      assert.equal(
        answers.filter((res) => res.statusCode === 201).length,
        2,
        answers.map((res) => `${res.statusCode} ${res.body.slice(0, 80)}`).join('\n'),
      );
      for (const res of answers.filter((res) => res.statusCode !== 201)) assert.equal(res.json().error.code, 'datasets_limit');
      assert.equal(await databaseInternals(wide.db).prisma.dataset.count(), 2);
    } finally {
      await wide.close();
    }

    // The quota: 40 KB here; each IDX pair of these is about 2.6 KB.
    const auth = await api.authFor('hoarder');
    const big = idxPair(600, 2, 8, 8); // ~39 KB
    const first = await upload(api, auth, [
      { name: 'images', file: { filename: 'train-images-idx3-ubyte', data: big.images } },
      { name: 'labels', file: { filename: 'train-labels-idx1-ubyte', data: big.labels } },
    ]);
    assert.equal(first.statusCode, 201, first.body);
    const over = await upload(api, auth, idxParts(2));
    assert.equal(over.statusCode, 413, over.body);
    assert.equal(over.json().error.code, 'storage_quota_exceeded');
    assert.equal(over.json().error.details.variable, 'TENANT_STORAGE_QUOTA');
    const job = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: lenetJob() });
    assert.equal(job.statusCode, 201, 'just under the quota a job may still start');
    // Checkpoints count too: the tenant's job now stores one of 10 KB.
    await databaseInternals(api.db).prisma.checkpoint.create({
      data: { jobId: job.json().id, epoch: 1, storageKey: 'k', bytes: BigInt(10_000) },
    });
    await sleep(5_200); // the stored bytes a submission sees are up to 5 s old
    const refused = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: lenetJob() });
    assert.equal(refused.statusCode, 413, refused.body);
    assert.equal(refused.json().error.code, 'storage_quota_exceeded');
  });
});

describe('image pixel budgets', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ MAX_ARCHIVE_PIXELS: '100000000' });
  });
  after(async () => api?.close());

  const archiveOf = (png: Buffer, count: number) =>
    zip(Array.from({ length: count }, (_, i) => ({ name: `photos/${i % 2 ? 'cat' : 'dog'}/${i}.png`, data: png })));

  test('a tiny archive of 20 PNGs of 36 MP is refused from their headers in moments, not decoded: 413 image_pixels_limit', async () => {
    const auth = await api.authFor('pixels');
    const archive = archiveOf(blankPng(6000, 6000), 20);
    assert.ok(archive.length < 64 * 1024, `the archive is ${archive.length} bytes`);
    const started = Date.now();
    const res = await upload(api, auth, [{ name: 'file', file: { filename: 'photos.zip', data: archive } }]);
    const seconds = (Date.now() - started) / 1000;
    assert.equal(res.statusCode, 413, res.body);
    const { code, details } = res.json().error;
    assert.equal(code, 'image_pixels_limit');
    assert.equal(details.variable, 'MAX_IMAGE_PIXELS');
    assert.deepEqual(details.limit, { option: 'maxImagePixels', value: 4096 * 4096 });
    assert.equal(details.pixels, 36_000_000);
    // Decoding them took 40 s of CPU; reading 20 headers takes well under a second even on a loaded machine.
    assert.ok(seconds < 10, `answered after ${seconds} s`);
    const list = await api.app.inject({ method: 'GET', url: '/v1/datasets', headers: auth });
    assert.deepEqual(list.json().datasets, [], 'nothing stored');
  });

  test('images under the per-image budget that add up past MAX_ARCHIVE_PIXELS are 413 archive_pixels_limit', async () => {
    const auth = await api.authFor('archive-pixels');
    const res = await upload(api, auth, [{ name: 'file', file: { filename: 'photos.zip', data: archiveOf(blankPng(3000, 3000), 20) } }]);
    assert.equal(res.statusCode, 413, res.body);
    const { code, details } = res.json().error;
    assert.equal(code, 'archive_pixels_limit');
    assert.equal(details.variable, 'MAX_ARCHIVE_PIXELS');
    assert.deepEqual(details.limit, { option: 'maxArchivePixels', value: 100_000_000 });
    assert.equal(details.pixels, 12 * 9_000_000, 'refused at the 12th header');
  });
});

describe('samples', () => {
  const logLines: string[] = [];
  let api: TestApi;
  before(async () => {
    api = await startTestApi({}, { logLines });
  });
  after(async () => api?.close());

  test('concurrent sample calls for one dataset share one read, and reads take turns', async () => {
    const auth = await api.authFor('sampler');
    const first = await upload(api, auth, idxParts(2));
    const second = await upload(api, auth, idxParts(2));
    assert.equal(first.statusCode, 201, first.body);
    const ids = [first.json().id as string, second.json().id as string];
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => api.app.inject({ method: 'GET', url: `/v1/datasets/${ids[i % 2]}/samples`, headers: auth })),
    );
    for (const res of answers) assert.equal(res.statusCode, 200, res.body);
    assert.equal(answers[0]!.body, answers[2]!.body);
    const reads = logLines.filter((line) => line.includes('reading sample images of a dataset'));
    assert.equal(reads.length, 2, 'one read per dataset, however many calls');
  });

  test("samples of a 256 MiB IDX upload (256 KB gzipped) read only the records they show: the API's memory stays flat", async () => {
    const auth = await api.authFor('large-sampler');
    const count = Math.floor((256 * 1024 ** 2) / (28 * 28));
    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x803, 0);
    header.writeUInt32BE(count, 4);
    header.writeUInt32BE(28, 8);
    header.writeUInt32BE(28, 12);
    const images = gzipSync(Buffer.concat([header, Buffer.alloc(count * 28 * 28)]), { level: 1 });
    const labels = idxLabels(Array.from({ length: count }, (_, i) => i % 10));
    const res = await upload(api, auth, [
      { name: 'images', file: { filename: 'train-images-idx3-ubyte.gz', data: images } },
      { name: 'labels', file: { filename: 'train-labels-idx1-ubyte.gz', data: gzipSync(labels) } },
    ]);
    assert.equal(res.statusCode, 201, res.body);
    const id = res.json().id as string;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => api.app.inject({ method: 'GET', url: `/v1/datasets/${id}/samples`, headers: auth })),
    );
    clearInterval(sampler);
    for (const answer of answers) assert.equal(answer.statusCode, 200, answer.body);
    const set = answers[0]!.json();
    assert.equal(set.samples.length, 40, 'four per class of ten');
    assert.equal(answers[3]!.body, answers[0]!.body);
    // Decoding it whole would add 256 MiB of pixels (the issue measured +1 GiB per call on a 1 GiB upload).
    const grownMiB = (peak - before) / 1024 ** 2;
    assert.ok(grownMiB < 96, `the process grew by ${Math.round(grownMiB)} MiB`);
    const reads = logLines.filter((line) => line.includes('reading sample images') && line.includes(id));
    assert.equal(reads.length, 1, 'the four calls shared one read');
  });
});

describe('the memory estimate', () => {
  test('is known at the first request and follows the spec: vgg11 smallInput 512x512 is 422 model_too_large', async () => {
    const api = await startTestApi({});
    try {
      const auth = await api.authFor('vgg-small-input');
      const submit = (imageSize: number, options: Record<string, unknown>) =>
        api.app.inject({
          method: 'POST',
          url: '/v1/jobs',
          headers: auth,
          payload: {
            model: { architecture: 'vgg11', options },
            dataset: { builtin: 'synthetic', imageSize: [imageSize, imageSize], channels: 3 },
            hyperparameters: { batchSize: 8, optimizer: 'adam' },
          },
        });
      // The first request of a fresh API: the estimate needs nothing that is computed after start-up.
      const first = await api.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: auth,
        payload: {
          model: { architecture: 'vgg19_bn' },
          dataset: { builtin: 'synthetic', imageSize: [224, 224], channels: 3 },
          hyperparameters: { batchSize: 4096 },
        },
      });
      assert.equal(first.statusCode, 422, first.body);
      assert.equal(first.json().error.code, 'model_too_large');
      const refused = await submit(512, { smallInput: true });
      assert.equal(refused.statusCode, 422, refused.body);
      const { code, details } = refused.json().error;
      assert.equal(code, 'model_too_large');
      assert.equal(details.variable, 'WORKER_MEMORY');
      // The classifier reads the 16x16x512 map unpooled: over 560 M weights, about 9 GB with adam's slots.
      assert.ok(details.parameters > 560_000_000, String(details.parameters));
      assert.ok(details.estimatedBytes > 8 * 1024 ** 3, String(details.estimatedBytes));
      // The same model at 512x512 without smallInput pools to 7x7: the estimate is the spec's, not the name's.
      const pooled = await submit(512, {});
      assert.notEqual(pooled.json().error?.details?.parameters, details.parameters, pooled.body);
      const fits = await submit(64, { smallInput: true });
      assert.equal(fits.statusCode, 201, fits.body);
    } finally {
      await api.close();
    }
  });

  test("counts the dataset the worker decodes into memory, not only the model's needs", async () => {
    const { estimateTrainingBytes } = await import('@trainyard/cnn/catalog');
    const model = estimateTrainingBytes({ architecture: 'lenet5', inputShape: [32, 32, 1], classes: 2, batchSize: 32, optimizer: 'adam' });
    const api = await startTestApi({ WORKER_MEMORY: String(model + 8 * 1024 ** 2) });
    try {
      const auth = await api.authFor('estimate');
      const submit = async (count: number) => {
        const { images, labels } = idxPair(count, 2, 32, 32);
        const res = await upload(api, auth, [
          { name: 'images', file: { filename: 'train-images-idx3-ubyte', data: images } },
          { name: 'labels', file: { filename: 'train-labels-idx1-ubyte', data: labels } },
        ]);
        assert.equal(res.statusCode, 201, res.body);
        const body = {
          model: { architecture: 'lenet5' },
          dataset: { id: res.json().id },
          hyperparameters: { batchSize: 32, optimizer: 'adam' },
        };
        return api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: body });
      };
      assert.equal((await submit(100)).statusCode, 201, 'a small dataset fits');
      const refused = await submit(4000); // 4000 x 32 x 32 float32 = 16 MB decoded
      assert.equal(refused.statusCode, 422, refused.body);
      assert.equal(refused.json().error.code, 'model_too_large');
      assert.equal(refused.json().error.details.datasetBytes, 4000 * 32 * 32 * 4);
    } finally {
      await api.close();
    }
  });
});

describe('a tenant over its rate limit, and clients that go away', () => {
  let api: TestApi;
  let port: number;
  let tmp: string;
  const logLines: string[] = [];
  let served: ListeningApi;
  before(async () => {
    served = await listeningApi(
      'refusals',
      { RATE_LIMIT_PER_MINUTE: '3', AUTH_FAILURES_PER_MINUTE: '2', OVER_LIMIT_DELAY_MS: '2000' },
      { logLines },
    );
    ({ api, port, tmp } = served);
  });
  after(async () => served?.stop());

  /** Sends `head` (request line and headers) over a real socket, and whatever `body` is given; resolves with the answer's first bytes. */
  function rawRequest(head: string, body = ''): { socket: ReturnType<typeof connect>; answer: Promise<string> } {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(`${head}\r\n\r\n${body}`);
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
        if (text.includes('\r\n\r\n')) resolve(text);
      });
      socket.once('close', () => resolve(text));
    });
    return { socket, answer };
  }

  test('a key over RATE_LIMIT_PER_MINUTE is answered 429 before its body is read or checked; another tenant is unaffected', async () => {
    const auth = await api.authFor('over-limit');
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/jobs`, { headers: auth });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    // A body that would be 400 control_character is not even parsed: the answer is the limit's.
    const controlCharacter = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...lenetJob(), name: 'a\u0000b' }),
    });
    assert.equal(controlCharacter.statusCode, 429, controlCharacter.body);
    assert.equal(controlCharacter.json().error.code, 'rate_limited');
    assert.ok(Number(controlCharacter.headers['retry-after']) >= 1);
    // A submission announcing 500 KB and sending none of it is answered at once: its body is never awaited.
    const { socket, answer } = rawRequest(
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.authorization}\r\nContent-Type: application/json\r\nContent-Length: 500000`,
    );
    const text = await Promise.race([answer, sleep(5_000).then(() => 'no answer within 5 s')]);
    socket.destroy();
    assert.match(text, /^HTTP\/1\.1 429 /);
    assert.match(text, /retry-after: \d+/i);

    const neighbour = await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: await api.authFor('under-limit') });
    assert.equal(neighbour.statusCode, 200);
  });

  test('refusals over a limit are answered after OVER_LIMIT_DELAY_MS, while other tenants are answered at once', async () => {
    const auth = await api.authFor('looping');
    const other = await api.authFor('patient');
    const list = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${port}/v1/jobs`, { headers });
    for (let i = 0; i < 3; i++) await (await list(auth)).arrayBuffer();
    await (await list(other)).arrayBuffer();
    const started = performance.now();
    const refused = Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await list(auth);
        return {
          status: res.status,
          code: ((await res.json()) as { error: { code: string } }).error.code,
          ms: performance.now() - started,
        };
      }),
    );
    // A key guessed from an address past AUTH_FAILURES_PER_MINUTE (2) waits too.
    const guess = (i: number) =>
      api.app.inject({
        method: 'GET',
        url: '/v1/jobs',
        remoteAddress: '203.0.113.99',
        headers: { authorization: `Bearer ty_${String(i).padStart(43, 'q')}` },
      });
    for (let i = 0; i < 2; i++) assert.equal((await guess(i)).statusCode, 401);
    const guessed = guess(2).then((res) => ({ res, ms: performance.now() - started }));
    // Meanwhile another tenant is answered at once.
    const neighbour = await list(other);
    const neighbourMs = performance.now() - started;
    assert.equal(neighbour.status, 200);
    await neighbour.arrayBuffer();
    assert.ok(neighbourMs < 1900, `the other tenant waited ${Math.round(neighbourMs)} ms`);
    for (const answer of await refused) {
      assert.equal(answer.status, 429);
      assert.equal(answer.code, 'rate_limited');
      assert.ok(answer.ms >= 1900, `a refusal came after ${Math.round(answer.ms)} ms`);
    }
    const { res, ms } = await guessed;
    assert.equal(res.statusCode, 429);
    assert.equal(res.json().error.code, 'auth_failures_limit');
    assert.ok(ms >= 1900, `the address's refusal came after ${Math.round(ms)} ms`);
  });

  test('a client that aborts its upload is logged as client_closed_request, not as the database being unavailable', async () => {
    const auth = await api.authFor('aborts');
    const boundary = 'aborted-boundary';
    const { socket } = rawRequest(
      `POST /v1/datasets HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.authorization}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 10000000`,
      `--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="train-images-idx3-ubyte"\r\n\r\n${'x'.repeat(5000)}`,
    );
    await until(() => readdirSync(tmp).length > 0, 'the upload to start');
    socket.destroy();
    await until(() => logLines.some((line) => line.includes('"client_closed_request"')), 'the abort to be logged');
    await until(() => readdirSync(tmp).length === 0, 'the temporary folder to be removed');
    const aborted = logLines.map((line) => JSON.parse(line) as { level: number; code?: string; msg: string });
    assert.ok(!aborted.some((line) => line.code === 'database_unavailable'), 'not database_unavailable');
    assert.ok(!aborted.some((line) => line.level >= 50), 'nothing logged as an error');
    const tenant = (await api.db.tenants.findByName('aborts'))!;
    assert.equal(await api.db.datasets.countForTenant(tenant.id), 0);
    // The database was fine all along.
    assert.equal((await api.app.inject({ method: 'GET', url: '/v1/datasets', headers: auth })).statusCode, 200);
  });
});

/** Two submissions that announce a body and send none of it: they hold two of the tenant's turns until destroyed. */
function holdTurns(port: number, auth: Record<string, string>) {
  return Array.from({ length: 2 }, () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.authorization}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
    );
    return socket;
  });
}

describe("a tenant's burst is handed out evenly, and its requests take turns", () => {
  let served: ListeningApi;
  before(async () => {
    served = await listeningApi('fairness', {
      RATE_LIMIT_PER_MINUTE: '60',
      RATE_LIMIT_BURST: '3',
      MAX_CONCURRENT_REQUESTS_PER_TENANT: '2',
      OVER_LIMIT_DELAY_MS: '0',
    });
  });
  after(async () => served?.stop());

  test('RATE_LIMIT_BURST requests at once, then one a second; the headers say so', async () => {
    const { api } = served;
    const auth = await api.authFor('bursty');
    const list = () => api.app.inject({ method: 'GET', url: '/v1/jobs', headers: auth });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await list());
    assert.deepEqual(
      answers.map((res) => res.statusCode),
      [200, 200, 200, 429],
    );
    assert.deepEqual(
      answers.map((res) => res.headers['x-ratelimit-remaining']),
      ['2', '1', '0', '0'],
    );
    assert.equal(answers[0]!.headers['x-ratelimit-limit'], '60');
    const refused = answers[3]!;
    assert.equal(refused.json().error.code, 'rate_limited');
    assert.equal(refused.json().error.details.burst, 3);
    assert.equal(refused.headers['retry-after'], '1');
    await sleep(1_100);
    assert.equal((await list()).statusCode, 200, 'a request earned back after a second');
    assert.equal((await list()).statusCode, 429, 'and only one');
  });

  test('past MAX_CONCURRENT_REQUESTS_PER_TENANT a request waits its turn while another tenant is answered; one whose client leaves frees its turn', async () => {
    const { api, port } = served;
    const auth = await api.authFor('many-connections');
    const holders = holdTurns(port, auth);
    await sleep(200);
    let answered = false;
    const third = fetch(`http://127.0.0.1:${port}/v1/jobs`, { headers: auth }).then((res) => ((answered = true), res));
    const neighbour = await fetch(`http://127.0.0.1:${port}/v1/jobs`, { headers: await api.authFor('patient-neighbour') });
    assert.equal(neighbour.status, 200, 'another tenant is answered while this one waits');
    await sleep(300);
    assert.equal(answered, false, 'the third request waits for a turn');
    holders[0]!.destroy();
    const res = await third;
    assert.equal(res.status, 200, 'the turn of the client that left went to the waiting request');
    holders[1]!.destroy();
  });

  test('an event stream takes a turn while it opens and gives it back once it streams', async () => {
    const { api, port } = served;
    const auth = await api.authFor('streams-in-turn');
    const submitted = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: auth, payload: lenetJob() });
    assert.equal(submitted.statusCode, 201, submitted.body);
    const events = `http://127.0.0.1:${port}/v1/jobs/${submitted.json().id}/events`;
    const holders = holdTurns(port, auth);
    await sleep(1_100); // the bucket (burst 3) earns the stream's request back
    const controllers = [new AbortController(), new AbortController()];
    let opened = false;
    const first = fetch(events, { headers: auth, signal: controllers[0]!.signal }).then((res) => ((opened = true), res));
    await sleep(300);
    assert.equal(opened, false, 'the stream waits for a turn before it opens');
    holders[0]!.destroy();
    holders[1]!.destroy();
    assert.equal((await first).status, 200);
    await sleep(1_000);
    const second = await fetch(events, { headers: auth, signal: controllers[1]!.signal });
    assert.equal(second.status, 200);
    await sleep(1_000);
    const list = await fetch(`http://127.0.0.1:${port}/v1/jobs`, { headers: auth, signal: AbortSignal.timeout(5_000) });
    assert.equal(list.status, 200, 'two open streams hold neither of the two turns');
    for (const controller of controllers) controller.abort();
  });
});
