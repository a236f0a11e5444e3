/**
 * Webhooks end to end inside one API: the routes, and deliveries to a real HTTP receiver on loopback
 * sent by the delivery loop (signed, retried, recorded), and request forgery refused at registration
 * and, after a DNS answer changed, at delivery (a real DNS server on loopback).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { startReceiver, type WebhookReceiver } from './webhook-receiver.js';
import { startDnsServer, type TestDnsServer } from './dns-server.js';
import { recordEvent } from '@trainyard/db';
import { databaseInternals } from '@trainyard/db/testing';
import { WebhookDeliverer } from '../src/webhooks/webhook-deliverer.js';
import { refusedAddressReason } from '../src/webhooks/address-policy.js';

const JSON_HEADERS = { 'content-type': 'application/json' };
const ALL_JOB_EVENTS = ['job.queued', 'job.running', 'job.succeeded', 'job.failed', 'job.cancelled'];

/**
 * How a receiver verifies a delivery: the README's Node snippet itself (Standard Webhooks: HMAC-SHA256
 * keyed by the base64 after whsec_, over "id.timestamp.body", compared in constant time), taken from
 * README.md and run here, so that the snippet users copy is the one these tests check deliveries with.
 */
function readmeVerifier(): (secret: string, headers: Record<string, unknown>, body: string) => boolean {
  const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');
  const block = /```js\n(import \{ createHmac, timingSafeEqual \} from 'node:crypto';\n[\s\S]*?function verifyWebhook[\s\S]*?)```/.exec(
    readme,
  );
  assert.ok(block, "README.md's verifyWebhook snippet");
  const code = block[1]!.replace(/^import .*\n/, '');
  return new Function('createHmac', 'timingSafeEqual', 'Buffer', `${code}\nreturn verifyWebhook;`)(createHmac, timingSafeEqual, Buffer);
}
const verify = readmeVerifier();

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function createWebhook(api: TestApi, auth: { authorization: string }, body: Record<string, unknown>) {
  return api.app.inject({ method: 'POST', url: '/v1/webhooks', headers: { ...auth, ...JSON_HEADERS }, payload: body });
}

async function submit(api: TestApi, auth: { authorization: string }): Promise<string> {
  const res = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...auth, ...JSON_HEADERS }, payload: lenetJob() });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id as string;
}

describe('webhook routes', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ MAX_WEBHOOKS_PER_TENANT: '2' });
  });
  after(async () => api?.close());

  test('create shows the secret once; list, get, rotate, delete; another tenant sees none of it', async () => {
    const auth = await api.authFor('hooks-crud');
    // An address literal needs no DNS; 93.184.215.14 is public.
    const created = await createWebhook(api, auth, { url: 'https://93.184.215.14/hook', events: ['job.succeeded'], description: 'ci' });
    assert.equal(created.statusCode, 201, created.body);
    const webhook = created.json();
    assert.match(webhook.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(created.headers.location, `/v1/webhooks/${webhook.id}`);
    assert.deepEqual(webhook.events, ['job.succeeded']);

    const got = await api.app.inject({ url: `/v1/webhooks/${webhook.id}`, headers: auth });
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().secret, undefined, 'never shown again');
    const listed = await api.app.inject({ url: '/v1/webhooks', headers: auth });
    assert.deepEqual(
      listed.json().webhooks.map((w: { id: string }) => w.id),
      [webhook.id],
    );

    const rotated = await api.app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/rotate-secret`, headers: auth });
    assert.equal(rotated.statusCode, 200, rotated.body);
    assert.notEqual(rotated.json().secret, webhook.secret);
    assert.equal(
      (await api.db.webhooks.findForTenant((await api.db.tenants.findOrCreate('hooks-crud')).tenant.id, webhook.id))?.secret,
      rotated.json().secret,
    );

    const stranger = await api.authFor('hooks-stranger');
    for (const request of [
      { url: `/v1/webhooks/${webhook.id}` },
      { url: `/v1/webhooks/${webhook.id}/deliveries` },
      { method: 'POST' as const, url: `/v1/webhooks/${webhook.id}/rotate-secret` },
      { method: 'DELETE' as const, url: `/v1/webhooks/${webhook.id}` },
    ]) {
      const res = await api.app.inject({ ...request, headers: stranger });
      assert.equal(res.statusCode, 404, `${request.url}: ${res.body}`);
    }
    assert.deepEqual((await api.app.inject({ url: '/v1/webhooks', headers: stranger })).json().webhooks, []);

    const deleted = await api.app.inject({ method: 'DELETE', url: `/v1/webhooks/${webhook.id}`, headers: auth });
    assert.equal(deleted.statusCode, 204);
    assert.equal((await api.app.inject({ url: `/v1/webhooks/${webhook.id}`, headers: auth })).statusCode, 404);
  });

  test('MAX_WEBHOOKS_PER_TENANT answers 429 webhooks_limit', async () => {
    const auth = await api.authFor('hooks-limit');
    for (let i = 0; i < 2; i += 1) {
      assert.equal((await createWebhook(api, auth, { url: `https://93.184.215.14/${i}`, events: ['job.failed'] })).statusCode, 201);
    }
    const refused = await createWebhook(api, auth, { url: 'https://93.184.215.14/3', events: ['job.failed'] });
    assert.equal(refused.statusCode, 429, refused.body);
    assert.equal(refused.json().error.code, 'webhooks_limit');
    assert.equal(refused.json().error.details.limit, 2);
  });

  test('bad bodies: unknown events, no events, other schemes, credentials', async () => {
    const auth = await api.authFor('hooks-bad');
    for (const [body, code] of [
      [{ url: 'https://93.184.215.14/', events: ['job.exploded'] }, 'validation_failed'],
      [{ url: 'https://93.184.215.14/', events: [] }, 'validation_failed'],
      [{ url: 'https://93.184.215.14/', events: ['job.failed', 'job.failed'] }, 'validation_failed'],
      [{ url: 'ftp://93.184.215.14/', events: ['job.failed'] }, 'webhook_url_refused'],
      [{ url: 'https://user:pw@93.184.215.14/', events: ['job.failed'] }, 'webhook_url_refused'],
      [{ url: 'not a url', events: ['job.failed'] }, 'webhook_url_refused'],
    ] as const) {
      const res = await createWebhook(api, auth, body);
      assert.equal(res.json().error?.code, code, `${JSON.stringify(body)}: ${res.body}`);
    }
  });

  test('private, loopback, link-local and metadata targets are refused without WEBHOOK_ALLOW_PRIVATE', async () => {
    const auth = await api.authFor('hooks-private');
    for (const url of [
      'http://127.0.0.1:8080/',
      'http://localhost/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/',
      'http://192.168.1.1/',
      'http://172.31.0.1/',
      'http://100.100.100.200/',
      'http://0.0.0.0/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[fd00:ec2::254]/',
      'http://[fe80::1]/',
      'http://224.0.0.1/',
    ]) {
      const res = await createWebhook(api, auth, { url, events: ['job.failed'] });
      assert.equal(res.statusCode, 422, `${url}: ${res.body}`);
      assert.equal(res.json().error.code, 'webhook_url_refused', url);
    }
  });
});

test('the address policy: public unicast only, IPv4 inside IPv6 judged by the IPv4 address', () => {
  const refused = [
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.251',
    '198.18.0.1',
    '192.0.2.1',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:7f00:1',
    '::127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::',
    '2002:c0a8:101::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '2001:db8::1',
    'fc00::1',
    'fd00:ec2::254',
    'fe80::1%eth0',
    'fec0::1',
    'ff02::1',
    '100::1',
    'not-an-address',
  ];
  for (const address of refused) assert.ok(refusedAddressReason(address), `${address} must be refused`);
  for (const address of [
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2606:4700:4700::1111',
    '2002:808:808::1',
  ]) {
    assert.equal(refusedAddressReason(address), null, `${address} is public`);
  }
});

describe('deliveries to a receiver on loopback', () => {
  let api: TestApi;
  let receiver: WebhookReceiver;
  let deliverer: WebhookDeliverer;
  before(async () => {
    api = await startTestApi({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '50' });
    receiver = await startReceiver();
    deliverer = new WebhookDeliverer(api.deps, { timeoutMs: 1_000 });
  });
  after(async () => {
    await deliverer?.close();
    await receiver?.close();
    await api?.close();
  });

  /** Runs delivery rounds (as the background loop does every second) until `probe` holds. */
  const deliverUntil = <T>(probe: () => T | undefined, what: string) =>
    until(async () => {
      await deliverer.kick();
      return probe();
    }, what);

  test('events are signed, carry the job view GET /v1/jobs/{id} answers, and a tampered body fails verification', async () => {
    const auth = await api.authFor('hooks-deliver');
    const created = await createWebhook(api, auth, { url: receiver.url, events: ALL_JOB_EVENTS });
    assert.equal(created.statusCode, 201, created.body);
    const { secret, id: webhookId } = created.json();
    const jobId = await submit(api, auth);
    const cancel = await api.app.inject({ method: 'POST', url: `/v1/jobs/${jobId}/cancel`, headers: auth });
    assert.equal(cancel.statusCode, 200, cancel.body);

    const ours = () => receiver.received.filter((delivery) => JSON.parse(delivery.body).data.job?.id === jobId);
    const both = await deliverUntil(() => (ours().length >= 2 ? ours() : undefined), 'job.queued and job.cancelled');
    const bodies = both.map((delivery) => JSON.parse(delivery.body));
    assert.deepEqual(bodies.map((body) => body.type).sort(), ['job.cancelled', 'job.queued']);
    for (const delivery of both) {
      assert.ok(verify(secret, delivery.headers, delivery.body), 'the signature verifies');
      const tampered = delivery.body.replace(/"status":"\w+"/, '"status":"succeeded"');
      assert.notEqual(tampered, delivery.body);
      assert.equal(verify(secret, delivery.headers, tampered), false, 'a tampered body fails');
      assert.equal(verify(`whsec_${Buffer.alloc(32).toString('base64')}`, delivery.headers, delivery.body), false, 'another secret fails');
      assert.match(String(delivery.headers['webhook-id']), /^[0-9a-f-]{36}$/);
      assert.equal(delivery.headers['content-type'], 'application/json');
    }
    const cancelled = bodies.find((body) => body.type === 'job.cancelled');
    const view = (await api.app.inject({ url: `/v1/jobs/${jobId}`, headers: auth })).json();
    // updatedAt only: the queue's enqueue mark touched the row after the cancel.
    assert.deepEqual({ ...cancelled.data.job, updatedAt: null }, { ...view, updatedAt: null }, 'the same view the API answers with');
    assert.equal(Object.keys(cancelled).sort().join(), 'createdAt,data,type');
    assert.equal(bodies.find((body) => body.type === 'job.queued').data.job.status, 'queued', 'the job as the transition left it');

    const deliveries = await api.app.inject({ url: `/v1/webhooks/${webhookId}/deliveries`, headers: auth });
    assert.equal(deliveries.statusCode, 200, deliveries.body);
    for (const delivery of deliveries.json().deliveries) {
      assert.equal(delivery.status, 'delivered');
      assert.equal(delivery.attempts.length, 1);
      assert.equal(delivery.attempts[0].responseStatus, 200);
      assert.equal(delivery.attempts[0].nextRetryAt, null);
      assert.equal(delivery.subjectId, jobId);
    }
  });

  test('a sweep event carries the sweep view its transition recorded, as data.sweep', async () => {
    const auth = await api.authFor('hooks-sweeps');
    const { secret } = (await createWebhook(api, auth, { url: `${receiver.url}?sweeps`, events: ['sweep.succeeded'] })).json();
    const { tenant } = await api.db.tenants.findOrCreate('hooks-sweeps');
    const sweepId = randomUUID();
    const view = { id: sweepId, status: 'succeeded', best: { jobId: randomUUID(), value: 0.9 } };
    const client = await databaseInternals(api.db).pool.connect();
    try {
      await client.query('BEGIN');
      await recordEvent(client, { tenantId: tenant.id, type: 'sweep.succeeded', subjectId: sweepId, data: view });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const delivery = await deliverUntil(() => receiver.received.find((d) => d.url.endsWith('?sweeps')), 'the sweep event');
    const body = JSON.parse(delivery.body);
    assert.equal(body.type, 'sweep.succeeded');
    assert.deepEqual(body.data, { sweep: view });
    assert.ok(verify(secret, delivery.headers, delivery.body));
  });

  test('a 500 is retried with backoff and then delivered; every attempt is listed', async () => {
    const auth = await api.authFor('hooks-retry');
    const { id: webhookId } = (await createWebhook(api, auth, { url: receiver.url, events: ['job.queued'] })).json();
    let calls = 0;
    receiver.answer = () => (++calls <= 2 ? 500 : 200);
    try {
      const jobId = await submit(api, auth);
      await deliverUntil(
        () => receiver.received.find((d) => d.status === 200 && JSON.parse(d.body).data.job?.id === jobId),
        'the delivery after two 500s',
      );
    } finally {
      receiver.answer = 200;
    }
    const [delivery] = (await api.app.inject({ url: `/v1/webhooks/${webhookId}/deliveries`, headers: auth })).json().deliveries;
    assert.equal(delivery.status, 'delivered');
    assert.deepEqual(
      delivery.attempts.map((a: { responseStatus: number }) => a.responseStatus),
      [500, 500, 200],
    );
    const [first, second] = delivery.attempts as Array<{ startedAt: string; nextRetryAt: string; error: string; durationMs: number }>;
    assert.match(first!.error, /HTTP 500/);
    assert.ok(first!.durationMs >= 0);
    const firstWait = Date.parse(first!.nextRetryAt) - Date.parse(first!.startedAt);
    const secondWait = Date.parse(second!.nextRetryAt) - Date.parse(second!.startedAt);
    assert.ok(firstWait >= 50 && secondWait >= 100, `exponential backoff: ${firstWait} ms, then ${secondWait} ms`);
  });

  test('a redirect is not followed; a receiver that never answers holds back no other webhook', async () => {
    const auth = await api.authFor('hooks-isolation');
    const hook = async (name: string) =>
      (await createWebhook(api, auth, { url: `${receiver.url}?${name}`, events: ['job.queued'] })).json();
    const slow = await hook('slow');
    const fast = await hook('fast');
    const redirecting = await hook('redirect');
    receiver.answer = ({ url }) => (url.endsWith('?slow') ? 'hang' : url.endsWith('?redirect') ? 302 : 200);
    // A receiver that hangs takes the whole timeout (3 s here) for each of its deliveries.
    const patient = new WebhookDeliverer(api.deps, { timeoutMs: 3_000 });
    try {
      for (let i = 0; i < 3; i += 1) await submit(api, auth);
      const attemptsOf = async (webhookId: string) => {
        const { deliveries } = (await api.app.inject({ url: `/v1/webhooks/${webhookId}/deliveries`, headers: auth })).json();
        return (deliveries as Array<{ status: string; attempts: Array<{ responseStatus: number | null; error: string }> }>).flatMap(
          (delivery) => delivery.attempts.map((attempt) => ({ ...attempt, status: delivery.status })),
        );
      };
      await until(async () => {
        await patient.kick();
        return (await attemptsOf(fast.id)).filter((a) => a.status === 'delivered').length === 3;
      }, "the fast webhook's three deliveries");
      assert.deepEqual(await attemptsOf(slow.id), [], 'the slow one is still on its first attempt');

      const redirected = await attemptsOf(redirecting.id);
      assert.ok(redirected.length >= 1);
      assert.equal(redirected[0]!.responseStatus, 302);
      assert.match(redirected[0]!.error, /redirect, which is not followed/);
      assert.equal(receiver.received.filter((d) => d.url.includes('elsewhere')).length, 0);
    } finally {
      await api.app.inject({ method: 'DELETE', url: `/v1/webhooks/${slow.id}`, headers: auth });
      await api.app.inject({ method: 'DELETE', url: `/v1/webhooks/${redirecting.id}`, headers: auth });
      receiver.answer = 200;
      await patient.close();
    }
  });

  test('a delivery that fails until its retry window ends is marked failed', async () => {
    const auth = await api.authFor('hooks-give-up');
    const { id } = (await createWebhook(api, auth, { url: `${receiver.url}?down`, events: ['job.queued'] })).json();
    receiver.answer = ({ url }) => (url.endsWith('?down') ? 503 : 200);
    const shortWindow = new WebhookDeliverer(
      { ...api.deps, config: { ...api.deps.config, webhookRetryWindowSeconds: 1 } },
      { timeoutMs: 1_000 },
    );
    try {
      await submit(api, auth);
      const delivery = await until(async () => {
        await shortWindow.kick();
        const [found] = (await api.app.inject({ url: `/v1/webhooks/${id}/deliveries`, headers: auth })).json().deliveries;
        return found?.status === 'failed' ? found : undefined;
      }, 'the delivery to give up');
      assert.ok(delivery.attempts.length >= 2, 'retried before giving up');
      assert.equal(delivery.attempts.at(-1).nextRetryAt, null);
      assert.equal(delivery.nextAttemptAt, null);
    } finally {
      receiver.answer = 200;
      await shortWindow.close();
    }
  });
});

describe('DNS: checked after resolution, and the connection pinned to the checked address', () => {
  let dns: TestDnsServer;
  let receiver: WebhookReceiver;
  before(async () => {
    dns = await startDnsServer();
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await dns?.close();
  });

  test('a name that rebinds to loopback after registration is refused at delivery time', async () => {
    const api = await startTestApi({ WEBHOOK_DNS_SERVERS: dns.address, WEBHOOK_RETRY_BASE_MS: '60000' });
    const deliverer = new WebhookDeliverer(api.deps, { timeoutMs: 1_000 });
    try {
      const auth = await api.authFor('hooks-rebind');
      const unknown = await createWebhook(api, auth, { url: 'http://nowhere.rebind.test/', events: ['job.queued'] });
      assert.equal(unknown.statusCode, 422, unknown.body);
      assert.match(unknown.json().error.message, /does not resolve/);
      dns.records.set('hooks.internal.test', '10.0.0.7');
      const internal = await createWebhook(api, auth, { url: 'http://hooks.internal.test/', events: ['job.queued'] });
      assert.equal(internal.json().error?.code, 'webhook_url_refused', 'a name resolving to a private address');

      dns.records.set('hooks.rebind.test', '93.184.215.14');
      const created = await createWebhook(api, auth, { url: `http://hooks.rebind.test:${receiver.port}/hook`, events: ['job.queued'] });
      assert.equal(created.statusCode, 201, created.body);
      dns.records.set('hooks.rebind.test', '127.0.0.1');
      await submit(api, auth);
      const delivery = await until(async () => {
        await deliverer.kick();
        const [found] = (await api.app.inject({ url: `/v1/webhooks/${created.json().id}/deliveries`, headers: auth })).json().deliveries;
        return found?.attempts.length ? found : undefined;
      }, 'the attempt');
      assert.equal(delivery.status, 'pending');
      assert.equal(delivery.attempts[0].responseStatus, null);
      assert.match(delivery.attempts[0].error, /refused: hooks\.rebind\.test resolves to 127\.0\.0\.1, which is loopback/);
      assert.ok(delivery.attempts[0].nextRetryAt, 'tried again later: the name may point elsewhere then');
      assert.equal(receiver.received.length, 0, 'nothing reached the receiver');
    } finally {
      await deliverer.close();
      await api.close();
    }
  });

  test('the connection goes to the address that was checked, looked up once per attempt', async () => {
    const api = await startTestApi({ WEBHOOK_DNS_SERVERS: dns.address, WEBHOOK_ALLOW_PRIVATE: 'true' });
    const deliverer = new WebhookDeliverer(api.deps, { timeoutMs: 1_000 });
    try {
      const auth = await api.authFor('hooks-pinned');
      dns.records.set('hooks.pinned.test', '127.0.0.1');
      const created = await createWebhook(api, auth, { url: `http://hooks.pinned.test:${receiver.port}/hook`, events: ['job.queued'] });
      assert.equal(created.statusCode, 201, created.body);
      const jobId = await submit(api, auth);
      const delivery = await until(async () => {
        await deliverer.kick();
        return receiver.received.find((d) => JSON.parse(d.body).data.job?.id === jobId);
      }, 'the delivery by name');
      assert.equal(delivery.headers.host, `hooks.pinned.test:${receiver.port}`, 'Host names the URL, the socket went to the address');
      assert.equal(dns.queries.get('hooks.pinned.test'), 1, 'one lookup: the check; the connection asked no one else');
    } finally {
      await deliverer.close();
      await api.close();
    }
  });
});
