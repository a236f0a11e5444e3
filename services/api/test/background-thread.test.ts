/**
 * Background threads (uploads' checks, sample reads) run at a lower CPU priority than the API's event
 * loop, and their scripts get their workerData as before. A real thread, its nice value read from /proc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { BACKGROUND_NICE, startBackgroundThread } from '../src/threads/background-thread.js';

const niceOf = (stat: string) => Number(stat.split(') ')[1]!.split(' ')[16]);

test('a background thread runs at BACKGROUND_NICE, the API thread keeps its priority, and the script gets its workerData', async () => {
  const before = niceOf(readFileSync('/proc/thread-self/stat', 'utf8'));
  const worker = startBackgroundThread(new URL('./background-thread-probe.js', import.meta.url), { workerData: { files: ['a'] } });
  const [answer] = (await once(worker, 'message')) as [{ nice: number; workerData: unknown }];
  await once(worker, 'exit');
  assert.deepEqual(answer.workerData, { files: ['a'] });
  assert.ok(answer.nice >= BACKGROUND_NICE && answer.nice > before, `the thread's nice value is ${answer.nice}`);
  assert.equal(niceOf(readFileSync('/proc/thread-self/stat', 'utf8')), before, 'the calling thread is unchanged');
});
