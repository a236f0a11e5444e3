/**
 * /admin/v1: tenants and API keys over HTTP for the holder of ADMIN_TOKEN; absent when it is unset.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@trainyard/contracts';
import { readApiConfig } from '../src/config.js';
import { startTestApi, type TestApi } from './helpers.js';
import { databaseInternals } from '@trainyard/db/testing';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const logLines: string[] = [];
let api: TestApi;

before(async () => {
  // Keys are checked on every request here, so that a revocation shows at once.
  api = await startTestApi({ ADMIN_TOKEN, AUTH_CACHE_SECONDS: '0' }, { logLines });
});
after(async () => api?.close());

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string>, body?: unknown) =>
  api.app.inject({
    method,
    url,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });

test('a key created over HTTP works at once, is listed without its secret, and stops working when revoked', async () => {
  const created = await call('POST', '/admin/v1/keys', admin, { tenant: 'acme' });
  assert.equal(created.statusCode, 201, created.body);
  const { key, id, prefix, tenant } = created.json();
  assert.match(key, /^ty_[A-Za-z0-9_-]{43}$/);
  assert.equal(tenant, 'acme');
  assert.ok(key.startsWith(prefix));
  const tenantKey = { authorization: `Bearer ${key}` };
  assert.equal((await call('GET', '/v1/jobs', tenantKey)).statusCode, 200);

  const listed = await call('GET', '/admin/v1/keys?tenant=acme', admin);
  assert.equal(listed.statusCode, 200);
  assert.deepEqual(
    listed.json().keys.map((k: { id: string }) => k.id),
    [id],
  );
  assert.ok(!listed.body.includes(key), 'the key is never listed');
  const stored = await databaseInternals(api.db).prisma.apiKey.findUniqueOrThrow({ where: { id } });
  assert.ok(!listed.body.includes(stored.hash), 'nor its hash');
  assert.ok((await call('GET', '/admin/v1/tenants', admin)).json().tenants.some((t: { name: string }) => t.name === 'acme'));

  assert.equal((await call('DELETE', `/admin/v1/keys/${id}`, admin)).statusCode, 204);
  assert.equal((await call('GET', '/v1/jobs', tenantKey)).statusCode, 401);
  assert.equal((await call('DELETE', `/admin/v1/keys/${id}`, admin)).json().error.code, 'not_found', 'already revoked');
  assert.ok((await call('GET', '/admin/v1/keys?tenant=acme', admin)).json().keys[0].revokedAt);

  assert.ok(!logLines.join('\n').includes(key), 'the key is not logged');
  assert.ok(!logLines.join('\n').includes(ADMIN_TOKEN), 'the admin token is not logged');
  assert.ok(
    logLines.some((line) => line.includes('admin created an API key')),
    'admin actions are logged',
  );
});

test("a key's lastUsedAt is set by its first request, and written at most once a minute after that", async () => {
  const { key, id } = (await call('POST', '/admin/v1/keys', admin, { tenant: 'last-used' })).json();
  const listedKey = async () =>
    ((await call('GET', '/admin/v1/keys?tenant=last-used', admin)).json().keys as Array<{ id: string; lastUsedAt: string | null }>).find(
      (k) => k.id === id,
    )!;
  assert.equal((await listedKey()).lastUsedAt, null, 'unused so far');
  const before = Date.now();
  assert.equal((await call('GET', '/v1/jobs', { authorization: `Bearer ${key}` })).statusCode, 200);
  // Recorded after the answer, not before it.
  let first: string | null = null;
  for (let tries = 0; tries < 100 && first === null; tries++) {
    first = (await listedKey()).lastUsedAt;
    if (first === null) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(first !== null && Date.parse(first) >= before - 1000, `lastUsedAt ${first}`);
  assert.equal((await call('GET', '/v1/jobs', { authorization: `Bearer ${key}` })).statusCode, 200);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal((await listedKey()).lastUsedAt, first, 'not written again within the minute');
});

test('tenants: created once, names checked', async () => {
  const first = await call('POST', '/admin/v1/tenants', admin, { name: 'globex' });
  assert.equal(first.statusCode, 201);
  const again = await call('POST', '/admin/v1/tenants', admin, { name: 'globex' });
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().id, first.json().id);
  for (const body of [{ name: '../etc' }, { name: '' }, { name: 'x'.repeat(101) }, { name: 'ok', extra: 1 }, {}]) {
    const res = await call('POST', '/admin/v1/tenants', admin, body);
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.equal(res.json().error.code, 'validation_failed');
  }
  assert.equal((await call('GET', '/admin/v1/keys?tenant=nobody', admin)).statusCode, 404);
  assert.equal((await call('DELETE', '/admin/v1/keys/not-a-uuid', admin)).statusCode, 400);
});

test('only the admin token opens /admin/v1, and it opens nothing else', async () => {
  const tenantKey = await api.authFor('initech');
  const wrong = [
    {},
    tenantKey,
    { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x` },
    { authorization: `Bearer ${ADMIN_TOKEN}x` },
    { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
  ];
  for (const headers of wrong) {
    for (const [method, url] of [
      ['GET', '/admin/v1/tenants'],
      ['POST', '/admin/v1/keys'],
      ['DELETE', '/admin/v1/keys/00000000-0000-4000-8000-000000000000'],
    ] as const) {
      const res = await call(method, url, headers, method === 'POST' ? { tenant: 'mallory' } : undefined);
      assert.equal(res.statusCode, 401, `${method} ${url} with ${JSON.stringify(headers).slice(0, 40)}`);
      assert.equal(res.json().error.code, 'unauthorized');
    }
  }
  assert.equal(await api.db.tenants.findByName('mallory'), null, 'nothing was created');
  assert.equal((await call('GET', '/v1/jobs', admin)).statusCode, 401, 'the admin token is not a tenant key');
});

test('without ADMIN_TOKEN there is no /admin/v1; a short token is refused at start', async () => {
  const plain = await startTestApi();
  try {
    const res = await plain.app.inject({
      method: 'POST',
      url: '/admin/v1/keys',
      headers: { ...admin, 'content-type': 'application/json' },
      payload: '{"tenant":"x"}',
    });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
  } finally {
    await plain.close();
  }
  assert.throws(
    () => readApiConfig({ ADMIN_TOKEN: 'too-short' }),
    (error: unknown) => error instanceof ConfigError && /ADMIN_TOKEN/.test(error.message),
  );
});
