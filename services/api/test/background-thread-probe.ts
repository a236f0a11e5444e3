/**
 * Served by background-thread.test.ts as a pooled background thread: answers its own nice value, its
 * thread id and its workerData; `{ allocate: true }` fills the heap until the thread dies, `{ waitMs }`
 * answers after a while.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { serveTasks } from '../src/threads/serve-tasks.js';

serveTasks(async (workerData) => {
  const task = workerData as { allocate?: boolean; waitMs?: number };
  if (task.allocate) {
    const hog: number[][] = [];
    for (;;) hog.push(Array.from({ length: 100_000 }, Math.random));
  }
  if (task.waitMs) await sleep(task.waitMs);
  // /proc/thread-self/stat: the fields after the command name; nice is the 19th field of the line.
  const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
  return { nice: Number(fields[16]), threadId, workerData };
});
