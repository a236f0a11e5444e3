/**
 * The two per-tenant fairness mechanisms on their own, with a clock and an abort signal the test
 * controls: the token bucket behind RATE_LIMIT_PER_MINUTE and RATE_LIMIT_BURST, and the line behind
 * MAX_CONCURRENT_REQUESTS_PER_TENANT. hostile-tenant.test checks both through the real API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '@trainyard/contracts';
import { KeyRateLimiter } from '../src/http/key-rate-limiter.js';
import { TenantRequestGate } from '../src/http/tenant-request-gate.js';

test('a key spends its burst at once, then earns requests back at perMinute / 60 a second', () => {
  const limiter = new KeyRateLimiter(60, 3);
  const at = 1_000_000;
  assert.deepEqual(
    [1, 2, 3].map(() => limiter.take('a', at).allowed),
    [true, true, true],
  );
  const refused = limiter.take('a', at);
  assert.equal(refused.allowed, false);
  assert.equal(refused.remaining, 0);
  assert.equal(refused.retryAfterSeconds, 1);
  assert.equal(refused.resetSeconds, 3, 'the whole burst is back after 3 s at one a second');
  assert.equal(limiter.take('b', at).allowed, true, 'another key has its own bucket');
  assert.equal(limiter.take('a', at + 999).allowed, false);
  assert.equal(limiter.take('a', at + 1_000).allowed, true, 'one request earned back after a second');
  assert.equal(limiter.take('a', at + 1_000).allowed, false, 'and only one');
  assert.equal(limiter.take('a', at + 60_000).remaining, 2, 'a long pause refills the burst, never more');
});

test('a limit below the burst is the burst: RATE_LIMIT_PER_MINUTE=3 allows 3 at once', () => {
  const limiter = new KeyRateLimiter(3, 100);
  assert.equal(limiter.burst, 3);
  const at = 5_000;
  for (let i = 0; i < 3; i++) assert.equal(limiter.take('k', at).allowed, true);
  const refused = limiter.take('k', at);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterSeconds, 20, 'one request every 20 s');
});

test('a full table forgets the key used least recently, which starts again with a full bucket', () => {
  const limiter = new KeyRateLimiter(60, 1, 2);
  assert.equal(limiter.take('old', 0).allowed, true);
  assert.equal(limiter.take('kept', 0).allowed, true);
  assert.equal(limiter.take('old', 0).allowed, false, 'old is used again: now kept is the least recent');
  assert.equal(limiter.take('new', 0).allowed, true, 'kept is forgotten');
  assert.equal(limiter.take('old', 0).allowed, false, 'old is still remembered, and still empty');
  assert.equal(limiter.take('kept', 0).allowed, true, 'kept was forgotten: a full bucket');
});

test("a tenant's requests past the limit wait in order; other tenants never wait for them", async () => {
  const gate = new TenantRequestGate(2, 10);
  const open = new AbortController().signal;
  const first = await gate.enter('t', open);
  const second = await gate.enter('t', open);
  const order: string[] = [];
  const third = gate.enter('t', open).then((end) => (order.push('third'), end));
  const fourth = gate.enter('t', open).then((end) => (order.push('fourth'), end));
  const neighbour = await gate.enter('other', open);
  assert.equal(typeof neighbour, 'function', 'another tenant enters at once');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], 'both wait while two are in progress');
  first();
  first(); // ending a turn twice hands over one turn
  await third;
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['third']);
  second();
  (await fourth)();
  (await third)();
  neighbour();
  assert.equal(typeof (await gate.enter('t', open)), 'function', 'every turn is back');
});

test('past maxWaiting a request is refused with concurrent_requests_limit; one whose client leaves gives up its place', async () => {
  const gate = new TenantRequestGate(1, 2);
  const open = new AbortController().signal;
  const running = await gate.enter('t', open);
  const leaving = new AbortController();
  const abandoned = gate.enter('t', leaving.signal);
  const waiting = gate.enter('t', open);
  await assert.rejects(gate.enter('t', open), (error: ApiError) => {
    assert.equal(error.code, 'concurrent_requests_limit');
    assert.deepEqual(error.details, { limit: 1, variable: 'MAX_CONCURRENT_REQUESTS_PER_TENANT', retryAfterSeconds: 1 });
    return true;
  });
  leaving.abort();
  await assert.rejects(abandoned, (error: ApiError) => error.code === 'client_closed_request');
  running();
  const next = await waiting;
  next();
});
