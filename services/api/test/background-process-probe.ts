/**
 * Served by background-process.test.ts as a pooled background process: answers the nice value of each
 * of its threads, its pid and its workerData; `{ allocate: true }` fills the heap until the process
 * dies, `{ waitMs }` answers after a while.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveTasks } from '../src/offload/serve-tasks.js';

serveTasks(async (workerData) => {
  const task = workerData as { allocate?: boolean; waitMs?: number };
  if (task.allocate) {
    const hog: number[][] = [];
    for (;;) hog.push(Array.from({ length: 100_000 }, Math.random));
  }
  if (task.waitMs) await sleep(task.waitMs);
  // /proc/self/task/<tid>/stat: the fields after the command name; nice is the 19th field of the line.
  const nices = readdirSync('/proc/self/task').map((tid) =>
    Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]),
  );
  return { nices, pid: process.pid, workerData };
});
