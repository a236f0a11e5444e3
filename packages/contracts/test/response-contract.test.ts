/** The contract check the end-to-end tests run on every answer: what it accepts and what it names when it refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseContract } from '../src/testing/response-contract.js';
import { errors, json } from '../src/index.js';
import { JobViewSchema } from '../src/schemas/jobs.js';

const document = {
  paths: {
    '/v1/jobs/{id}': {
      get: {
        operationId: 'getJob',
        responses: {
          '200': {
            headers: { 'x-request-id': { required: true, schema: { type: 'string' } } },
            content: json('The job', JobViewSchema).content,
          },
          '404': {
            headers: { 'x-request-id': { required: true, schema: { type: 'string' } } },
            content: errors('not_found')[404]!.content,
          },
        },
      },
    },
  },
};
const contract = new ResponseContract(JSON.parse(JSON.stringify(document)));
const headers = { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r1' };

test('an undocumented status names the operation, the code and where to add it', () => {
  const body = JSON.stringify({ error: { code: 'job_not_finished', message: 'not yet' } });
  const [problem] = contract.check({ method: 'GET', url: '/v1/jobs/abc?x=1', status: 409, headers, body });
  assert.match(
    problem!,
    /GET \/v1\/jobs\/\{id\} \(getJob\) answered 409 with code job_not_finished, a status it does not document \(it documents 200, 404\)/,
  );
});

test('an error code the status does not list, a missing required header, an undocumented header and a wrong body are each named', () => {
  const wrongCode = contract.check({
    method: 'GET',
    url: '/v1/jobs/abc',
    status: 404,
    headers,
    body: JSON.stringify({ error: { code: 'dataset_in_use', message: 'm' } }),
  });
  assert.match(wrongCode.join('\n'), /body\.error\.code must be equal to one of the allowed values \(not_found\), got "dataset_in_use"/);
  const noId = contract.check({
    method: 'GET',
    url: '/v1/jobs/abc',
    status: 404,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 'not_found', message: 'm' } }),
  });
  assert.deepEqual(noId, ['GET /v1/jobs/{id} (getJob) 404: the required header x-request-id is missing']);
  const extraHeader = contract.check({
    method: 'GET',
    url: '/v1/jobs/abc',
    status: 404,
    headers: { ...headers, location: '/x' },
    body: JSON.stringify({ error: { code: 'not_found', message: 'm' } }),
  });
  assert.match(extraHeader.join('\n'), /header location is sent but not documented/);
  const badBody = contract.check({ method: 'GET', url: '/v1/jobs/abc', status: 200, headers, body: JSON.stringify({ id: 'x' }) });
  assert.match(badBody.join('\n'), /GET \/v1\/jobs\/\{id\} \(getJob\) 200: body must have required property 'name'/);
  assert.deepEqual(
    contract.check({ method: 'GET', url: '/unknown/route', status: 404, headers, body: '{}' }),
    [],
    'routes the document does not describe are not checked here',
  );
});

test('events of a job event stream are checked against JobEventSchema', () => {
  const at = '2026-12-06T12:00:00.000Z';
  assert.deepEqual(contract.checkEvent('phase', JSON.stringify({ type: 'phase', jobId: 'j', at, phase: 'training' })), []);
  assert.match(
    contract.checkEvent('phase', JSON.stringify({ type: 'phase', jobId: 'j', at, phase: 'dreaming' })).join('\n'),
    /does not match JobEventSchema/,
  );
});

test('events of a followed job log are checked against the log schemas', () => {
  const line = { id: '1765036800000-0', time: '2026-12-06T12:00:00.000Z', level: 'warn', message: 'storage retry' };
  assert.deepEqual(contract.checkEvent('line', JSON.stringify(line)), []);
  assert.deepEqual(contract.checkEvent('end', JSON.stringify({ jobId: 'j', status: 'failed' })), []);
  assert.match(contract.checkEvent('line', JSON.stringify({ ...line, level: 'loud' })).join('\n'), /does not match its schema/);
});
