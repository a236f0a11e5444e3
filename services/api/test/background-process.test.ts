/**
 * Background processes (uploads' checks, sample reads) run at a lower CPU priority than the API, every
 * thread of theirs included, are kept between tasks, and a dead one is replaced. Real processes, the
 * nice values of their threads read from /proc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKGROUND_NICE } from '../src/offload/background-process.js';
import { BACKGROUND_OUT_OF_MEMORY, BackgroundProcessPool } from '../src/offload/background-process-pool.js';

const niceOf = (stat: string) => Number(stat.split(') ')[1]!.split(' ')[16]);
const probe = new URL('./background-process-probe.js', import.meta.url);
type ProbeAnswer = { nices: number[]; pid: number; workerData: unknown };

test('every thread of a background process runs at BACKGROUND_NICE, the API keeps its priority, and the task gets its workerData', async () => {
  const pool = new BackgroundProcessPool({ maxProcesses: 2, idleMs: 30_000 });
  const before = niceOf(readFileSync('/proc/thread-self/stat', 'utf8'));
  const answer = (await pool.run(probe, 64, { files: ['a'] })) as ProbeAnswer;
  await pool.close();
  assert.deepEqual(answer.workerData, { files: ['a'] });
  assert.notEqual(answer.pid, process.pid);
  assert.ok(answer.nices.length >= 5, `V8's helper threads are there too: ${answer.nices.length} threads`);
  for (const nice of answer.nices)
    assert.ok(nice >= BACKGROUND_NICE && nice > before, `nice values of its threads: ${answer.nices.join(', ')}`);
  assert.equal(niceOf(readFileSync('/proc/thread-self/stat', 'utf8')), before, 'the calling thread is unchanged');
  assert.equal(pool.size, 0, 'closing ends the processes');
});

test('two tasks in a row are served by one process', async () => {
  const pool = new BackgroundProcessPool({ maxProcesses: 2, idleMs: 30_000 });
  const first = (await pool.run(probe, 64, { task: 1 })) as ProbeAnswer;
  const second = (await pool.run(probe, 64, { task: 2 })) as ProbeAnswer;
  await pool.close();
  assert.equal(second.pid, first.pid);
  assert.deepEqual(second.workerData, { task: 2 });
});

test('a task whose heap overflows gets BACKGROUND_OUT_OF_MEMORY, and the next task runs in a fresh process', async () => {
  const pool = new BackgroundProcessPool({ maxProcesses: 1, idleMs: 30_000 });
  const before = (await pool.run(probe, 32, {})) as ProbeAnswer;
  await assert.rejects(pool.run(probe, 32, { allocate: true }), { code: BACKGROUND_OUT_OF_MEMORY });
  const after = (await pool.run(probe, 32, { task: 'next' })) as ProbeAnswer;
  await pool.close();
  assert.notEqual(after.pid, before.pid);
  assert.deepEqual(after.workerData, { task: 'next' });
});

test('an idle process exits after idleMs', async () => {
  const pool = new BackgroundProcessPool({ maxProcesses: 2, idleMs: 200 });
  const first = (await pool.run(probe, 64, {})) as ProbeAnswer;
  assert.equal(pool.size, 1);
  await sleep(600);
  assert.equal(pool.size, 0);
  const second = (await pool.run(probe, 64, {})) as ProbeAnswer;
  await pool.close();
  assert.notEqual(second.pid, first.pid);
});

test('more concurrent tasks than processes all complete, in at most maxProcesses processes', async () => {
  const pool = new BackgroundProcessPool({ maxProcesses: 2, idleMs: 30_000 });
  const answers = (await Promise.all(Array.from({ length: 7 }, (_, i) => pool.run(probe, 64, { i, waitMs: 30 })))) as ProbeAnswer[];
  await pool.close();
  assert.deepEqual(
    answers.map((answer) => answer.workerData),
    Array.from({ length: 7 }, (_, i) => ({ i, waitMs: 30 })),
  );
  assert.ok(new Set(answers.map((answer) => answer.pid)).size <= 2);
});

test('a background process exits when the API process that started it is killed', async () => {
  const pool = new URL('../src/offload/background-process-pool.js', import.meta.url).href;
  const script = `
    const { BackgroundProcessPool } = await import(${JSON.stringify(pool)});
    const pool = new BackgroundProcessPool({ maxProcesses: 1, idleMs: 30_000 });
    const answer = await pool.run(new URL(${JSON.stringify(probe.href)}), 64, {});
    console.log(answer.pid);
    void pool.run(new URL(${JSON.stringify(probe.href)}), 64, { waitMs: 60_000 });
    setInterval(() => {}, 1000);
  `;
  const api = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: api.stdout! }), 'line')) as [string];
  const childPid = Number(line);
  assert.ok(childPid > 0 && childPid !== api.pid);
  api.kill('SIGKILL');
  const deadline = Date.now() + 10_000;
  while (existsSync(`/proc/${childPid}`) && !readFileSync(`/proc/${childPid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z')) {
    assert.ok(Date.now() < deadline, `background process ${childPid} still runs 10 s after its API was killed`);
    await sleep(50);
  }
});
