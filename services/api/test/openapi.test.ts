/**
 * The OpenAPI document: generated from the operations of @trainyard/contracts (every one of them,
 * the admin API included when ADMIN_TOKEN is set), clean under `redocly lint`'s recommended rules,
 * with examples that the API's real answers match.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPERATIONS } from '@trainyard/contracts';
import { startTestApi, type TestApi } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
type Document = {
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[]; responses: Record<string, any> }>>;
  [key: string]: any;
};

let api: TestApi;
let document: Document;
before(async () => {
  api = await startTestApi({ ADMIN_TOKEN: 'admin-token-for-the-openapi-test-0123456789' });
  document = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
after(async () => api.close());

function operations(doc: Document) {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
}

test('the document has exactly the operations of @trainyard/contracts, each with its operationId, method and path', () => {
  const found = operations(document)
    .map(({ path, method, operation }) => `${operation.operationId} ${method.toUpperCase()} ${path}`)
    .sort();
  const expected = Object.entries(OPERATIONS).map(([id, op]) => {
    assert.equal(op.schema.operationId, id, `OPERATIONS.${id} has operationId ${op.schema.operationId}`);
    return `${id} ${op.method} ${op.path}`;
  });
  assert.deepEqual(found, expected.sort());
});

test('redocly lint (recommended rules) finds no error and no warning in the document, admin routes included', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'trainyard-openapi-'));
  try {
    const file = join(scratch, 'openapi.json');
    writeFileSync(file, JSON.stringify(document, null, 1));
    const lint = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/@redocly/cli/bin/cli.js'), 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format=json'],
      {
        encoding: 'utf8',
        cwd: scratch,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        timeout: 180_000,
      },
    );
    const report = JSON.parse(lint.stdout) as {
      totals: { errors: number; warnings: number };
      problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
    };
    const problems = report.problems.map(
      (problem) => `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`,
    );
    assert.deepEqual(problems, [], `redocly lint:\n${problems.join('\n')}`);
    assert.deepEqual(report.totals, { ...report.totals, errors: 0, warnings: 0 });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('public routes need no key (security: []), /v1 routes the API key, /admin/v1 the admin token; servers and license are set', () => {
  assert.ok(document.servers?.length > 0);
  assert.equal(document.info.license.identifier, 'Apache-2.0');
  for (const { path, operation } of operations(document)) {
    if (path.startsWith('/v1/')) {
      assert.equal(operation.security, undefined, `${path} uses the document's bearer rule`);
      assert.ok(operation.responses['401'].headers['www-authenticate'].required, `${path} 401 documents WWW-Authenticate`);
    } else if (path.startsWith('/admin/v1/')) assert.deepEqual(operation.security, [{ adminToken: [] }], path);
    else assert.deepEqual(operation.security, [], `${path} is public`);
    for (const [status, response] of Object.entries(operation.responses)) {
      assert.ok(response.headers?.['x-request-id']?.required, `${path} ${status} documents X-Request-Id`);
    }
  }
  const upload = document.paths['/v1/datasets']!.post!;
  assert.ok(
    (upload as any).requestBody.content['multipart/form-data'].schema.properties.images,
    'the dataset upload documents its multipart parts',
  );
  assert.ok(
    document.paths['/v1/jobs/{id}/model']!.get!.responses['200'].content['application/gzip'],
    'the model download documents its content type',
  );
});

test('the examples are in the document, and a real job has every field of the example', async () => {
  const jobs = document.paths['/v1/jobs']!.post! as any;
  assert.equal(jobs.requestBody.content['application/json'].example.model.architecture, 'lenet5');
  assert.equal(jobs.responses['201'].content['application/json'].example.status, 'queued');
  assert.match(document.paths['/v1/jobs/{id}/events']!.get!.responses['200'].content['text/event-stream'].example, /event: progress/);
  const headers = await api.authFor('openapi');
  const created = await api.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    headers,
    payload: jobs.requestBody.content['application/json'].example,
  });
  assert.equal(created.statusCode, 201, created.body);
  assert.deepEqual(Object.keys(created.json()).sort(), Object.keys(jobs.responses['201'].content['application/json'].example).sort());
});

test('a route without an operation cannot be registered', async () => {
  const { buildApi } = await import('../src/app.js');
  const broken = await buildApi(api.deps);
  await assert.rejects(async () => {
    broken.get('/v1/undocumented', async () => ({}));
    await broken.ready();
  }, /GET \/v1\/undocumented is not an operation of @trainyard\/contracts/);
  await broken.close().catch(() => {});
});
