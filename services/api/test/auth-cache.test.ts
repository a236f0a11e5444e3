/**
 * AUTH_CACHE_SECONDS: the API remembers an accepted key that long, so a key revoked after use keeps
 * working at most that long, then answers 401.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from './helpers.js';

const CACHE_SECONDS = 2;
let api: TestApi;

before(async () => {
  api = await startTestApi({ AUTH_CACHE_SECONDS: String(CACHE_SECONDS) });
});
after(async () => api?.close());

test('a key revoked after use stops working within AUTH_CACHE_SECONDS', async () => {
  const { tenant } = await api.db.tenants.findOrCreate('revoked-later');
  const { key, apiKey } = await api.db.tenants.createApiKey(tenant.id);
  const list = () => api.app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: `Bearer ${key}` } });
  assert.equal((await list()).statusCode, 200, 'used once: now remembered');
  const revokedAt = Date.now();
  assert.equal(await api.db.tenants.revokeApiKey(tenant.id, apiKey.prefix), 1);
  let status = (await list()).statusCode;
  while (status === 200) {
    assert.ok(Date.now() - revokedAt <= CACHE_SECONDS * 1000 + 1_000, `still accepted ${Date.now() - revokedAt} ms after the revocation`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = (await list()).statusCode;
  }
  assert.equal(status, 401);
  assert.ok(Date.now() - revokedAt >= 0);
  assert.equal((await list()).statusCode, 401, 'and stays refused');
});
