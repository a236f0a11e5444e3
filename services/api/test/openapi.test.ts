/** The OpenAPI document: every /v1 route documented with its error answers, the main ones with examples. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from './helpers.js';

let api: TestApi;
before(async () => {
  api = await startTestApi();
});
after(async () => api.close());

test('/openapi.json has examples for the main routes and the error answers of every /v1 route', async () => {
  const document = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const jobs = document.paths['/v1/jobs'].post;
  assert.equal(jobs.requestBody.content['application/json'].example.model.architecture, 'lenet5');
  assert.equal(jobs.responses['201'].content['application/json'].example.status, 'queued');
  assert.match(document.paths['/v1/jobs/{id}/events'].get.responses['200'].content['text/event-stream'].example, /event: progress/);
  for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
    if (!path.startsWith('/v1/')) continue;
    for (const [method, operation] of Object.entries(operations)) {
      assert.ok(operation.responses['401'], `${method} ${path} documents 401`);
      if (path.includes('{')) assert.ok(operation.responses['404'], `${method} ${path} documents 404`);
    }
  }
  assert.ok(document.paths['/metrics'], '/metrics is documented');
  // The examples never change what the API answers: a real job still has every field.
  const headers = await api.authFor('openapi');
  const created = await api.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: jobs.requestBody.content['application/json'].example });
  assert.equal(created.statusCode, 201, created.body);
  assert.deepEqual(Object.keys(created.json()).sort(), Object.keys(jobs.responses['201'].content['application/json'].example).sort());
});
