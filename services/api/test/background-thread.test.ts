/**
 * Background threads (uploads' checks, sample reads) run at a lower CPU priority than the API's event
 * loop, are kept between tasks, and a dead one is replaced. Real threads, their nice value read from /proc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKGROUND_NICE } from '../src/threads/background-thread.js';
import { BackgroundThreadPool } from '../src/threads/background-thread-pool.js';

const niceOf = (stat: string) => Number(stat.split(') ')[1]!.split(' ')[16]);
const probe = new URL('./background-thread-probe.js', import.meta.url);
type ProbeAnswer = { nice: number; threadId: number; workerData: unknown };

test('a background thread runs at BACKGROUND_NICE, the API thread keeps its priority, and the task gets its workerData', async () => {
  const pool = new BackgroundThreadPool({ maxThreads: 2, idleMs: 30_000 });
  const before = niceOf(readFileSync('/proc/thread-self/stat', 'utf8'));
  const answer = (await pool.run(probe, 64, { files: ['a'] })) as ProbeAnswer;
  await pool.close();
  assert.deepEqual(answer.workerData, { files: ['a'] });
  assert.ok(answer.nice >= BACKGROUND_NICE && answer.nice > before, `the thread's nice value is ${answer.nice}`);
  assert.equal(niceOf(readFileSync('/proc/thread-self/stat', 'utf8')), before, 'the calling thread is unchanged');
  assert.equal(pool.size, 0, 'closing ends the threads');
});

test('two tasks in a row are served by one thread', async () => {
  const pool = new BackgroundThreadPool({ maxThreads: 2, idleMs: 30_000 });
  const first = (await pool.run(probe, 64, { task: 1 })) as ProbeAnswer;
  const second = (await pool.run(probe, 64, { task: 2 })) as ProbeAnswer;
  await pool.close();
  assert.equal(second.threadId, first.threadId);
  assert.deepEqual(second.workerData, { task: 2 });
});

test('a task whose heap overflows gets ERR_WORKER_OUT_OF_MEMORY, and the next task runs on a fresh thread', async () => {
  const pool = new BackgroundThreadPool({ maxThreads: 1, idleMs: 30_000 });
  const before = (await pool.run(probe, 32, {})) as ProbeAnswer;
  await assert.rejects(pool.run(probe, 32, { allocate: true }), { code: 'ERR_WORKER_OUT_OF_MEMORY' });
  const after = (await pool.run(probe, 32, { task: 'next' })) as ProbeAnswer;
  await pool.close();
  assert.notEqual(after.threadId, before.threadId);
  assert.deepEqual(after.workerData, { task: 'next' });
});

test('an idle thread exits after idleMs', async () => {
  const pool = new BackgroundThreadPool({ maxThreads: 2, idleMs: 200 });
  const first = (await pool.run(probe, 64, {})) as ProbeAnswer;
  assert.equal(pool.size, 1);
  await sleep(600);
  assert.equal(pool.size, 0);
  const second = (await pool.run(probe, 64, {})) as ProbeAnswer;
  await pool.close();
  assert.notEqual(second.threadId, first.threadId);
});

test('more concurrent tasks than threads all complete, on at most maxThreads threads', async () => {
  const pool = new BackgroundThreadPool({ maxThreads: 2, idleMs: 30_000 });
  const answers = (await Promise.all(Array.from({ length: 7 }, (_, i) => pool.run(probe, 64, { i, waitMs: 30 })))) as ProbeAnswer[];
  await pool.close();
  assert.deepEqual(
    answers.map((answer) => answer.workerData),
    Array.from({ length: 7 }, (_, i) => ({ i, waitMs: 30 })),
  );
  assert.ok(new Set(answers.map((answer) => answer.threadId)).size <= 2);
});
