/**
 * @trainyard/client over real HTTP (a local node:http server speaking the API's formats): one method
 * per operation, errors with the API's code, and a job's events as an async iterator that resumes a
 * dropped stream with Last-Event-ID and ends after the final status. The client against the real
 * service is tested by the CLI's and the dashboard's end-to-end tests, which use it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OPERATIONS } from '@trainyard/contracts';
import { CLIENT_METHODS, SseParser, TrainyardApiError, TrainyardClient, type JobEvent } from '../src/index.js';

let server: Server;
let baseUrl: string;
let handler: (request: IncomingMessage, response: ServerResponse) => void = () => {};
before(async () => {
  server = createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const event = (id: string, data: Partial<JobEvent>) =>
  `id: ${id}\nevent: ${data.type}\ndata: ${JSON.stringify({ jobId: 'j1', at: '2026-12-06T12:00:00.000Z', ...data })}\n\n`;

test('every operation of the document has a client method, and every method exists', () => {
  assert.deepEqual(Object.keys(CLIENT_METHODS).sort(), Object.keys(OPERATIONS).sort());
  const client = new TrainyardClient({ baseUrl });
  for (const [operationId, path] of Object.entries(CLIENT_METHODS)) {
    const method = path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], client);
    assert.equal(typeof method, 'function', `${operationId}: client.${path}`);
  }
});

test('requests carry the key and the JSON body; an error answer is thrown with its code, status and details', async () => {
  const seen: Array<{ method?: string; url?: string; auth?: string; body: string; idempotency?: string }> = [];
  handler = (request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      seen.push({
        method: request.method,
        url: request.url,
        auth: request.headers.authorization,
        body,
        idempotency: request.headers['idempotency-key'] as string | undefined,
      });
      response.writeHead(409, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'idempotency_conflict', message: 'used', details: { key: 'k' } } }));
    });
  };
  const client = new TrainyardClient({ baseUrl: `${baseUrl}/`, apiKey: 'ty_test' });
  const error = await client.jobs
    .submit({ model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' } }, { idempotencyKey: 'k' })
    .catch((e: unknown) => e);
  assert.ok(error instanceof TrainyardApiError);
  assert.deepEqual([error.code, error.status, error.details], ['idempotency_conflict', 409, { key: 'k' }]);
  assert.deepEqual(seen[0], {
    method: 'POST',
    url: '/v1/jobs',
    auth: 'Bearer ty_test',
    body: '{"model":{"architecture":"lenet5"},"dataset":{"builtin":"synthetic"}}',
    idempotency: 'k',
  });
  await client.jobs.list({ status: 'running', limit: 5 }).catch(() => {});
  assert.equal(seen[1]!.url, '/v1/jobs?status=running&limit=5');
  const down = await new TrainyardClient({ baseUrl: 'http://127.0.0.1:1' }).jobs.get('x').catch((e: unknown) => e);
  assert.ok(down instanceof TrainyardApiError && down.code === 'unreachable', String(down));
});

test('jobs.events yields typed events, resumes a dropped stream after the last id, and ends after the final status', async () => {
  const lastIds: Array<string | undefined> = [];
  handler = (request, response) => {
    lastIds.push(request.headers['last-event-id'] as string | undefined);
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    if (lastIds.length === 1) {
      response.write(': connected\n\n');
      response.write(event('1-0', { type: 'status', status: 'running' }));
      response.end(
        event('2-0', {
          type: 'epoch',
          epoch: 1,
          trainLoss: 0.5,
          trainAccuracy: 0.8,
          validationLoss: null,
          validationAccuracy: null,
          learningRate: 0.001,
          seconds: 1,
        }),
      );
    } else {
      response.end(event('3-0', { type: 'status', status: 'succeeded' }));
    }
  };
  const client = new TrainyardClient({ baseUrl });
  const seen: string[] = [];
  for await (const received of client.jobs.events('j1', { retryMs: 10 })) {
    seen.push(
      received.type === 'status'
        ? `status ${received.status}`
        : received.type === 'epoch'
          ? `epoch ${received.epoch} ${received.trainLoss}`
          : received.type,
    );
  }
  assert.deepEqual(seen, ['status running', 'epoch 1 0.5', 'status succeeded']);
  assert.deepEqual(lastIds, [undefined, '2-0']);
});

test('the SSE parser joins data lines, keeps ids, drops comments, and waits for a message to be complete', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push(': heartbeat\n\nid: 7\nevent: status\ndata: {"a":'), []);
  assert.deepEqual(parser.push('1}\r\ndata: more\n\n'), [{ id: '7', event: 'status', data: '{"a":1}\nmore' }]);
});
