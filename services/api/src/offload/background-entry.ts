/**
 * The entry of every background process (background-process.ts): lowers the priority of each of its
 * threads, then loads the process's script, which serves its tasks (serve-tasks.ts). process.argv
 * ends with the script's URL and the nice value.
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

const [script, nice] = process.argv.slice(-2) as [string, string];
try {
  // setpriority on a thread id changes that thread alone: V8's helper threads, already started, each
  // need their own; threads started later inherit the main thread's.
  for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), Number(nice));
} catch {
  // Not Linux: the process's priority, where setpriority applies to the whole process.
  try {
    setPriority(Number(nice));
  } catch {
    // Not permitted: it runs at the API's priority.
  }
}
// The API is gone (it exited or was killed): nobody will read an answer.
process.on('disconnect', () => process.exit(0));
await import(script);
