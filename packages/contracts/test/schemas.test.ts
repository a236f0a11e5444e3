import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors, getJobEvaluation, keyOperation, submitJob } from '../src/index.js';

test('errors() documents one response per status, its code enum limited to the codes given', () => {
  const responses = errors('not_found', 'job_not_finished', 'idempotency_conflict', 'unauthorized') as Record<number, any>;
  assert.deepEqual(Object.keys(responses), ['401', '404', '409']);
  assert.deepEqual(responses[409].content['application/json'].schema.properties.error.properties.code.enum, [
    'job_not_finished',
    'idempotency_conflict',
  ]);
  assert.match(responses[409].description, /`job_not_finished`/);
  assert.ok(responses[401].headers['www-authenticate'], '401 documents WWW-Authenticate');
});

test('a key operation gets the common errors and headers on every response, besides its own', () => {
  const responses = getJobEvaluation.schema.response as Record<number, any>;
  for (const status of [200, 400, 401, 404, 409, 429, 500, 503]) assert.ok(responses[status], `documents ${status}`);
  for (const [status, response] of Object.entries(responses))
    assert.ok(response.headers['x-request-id'], `${status} documents X-Request-Id`);
  assert.ok((submitJob.schema.response as Record<number, any>)[201].headers.location);
  const op = keyOperation('GET', '/v1/things', { operationId: 'listThings', summary: 's', tags: ['t'], response: {} });
  assert.equal((op.schema as { security?: unknown }).security, undefined, 'key operations use the document-wide bearer rule');
});
