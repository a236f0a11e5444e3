/**
 * The entry of every background thread (background-thread.ts): lowers this thread's CPU priority,
 * then loads the thread's script, which reads its workerData as usual. process.argv ends with the
 * script's URL and the nice value.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

const [script, nice] = process.argv.slice(-2) as [string, string];
try {
  // /proc/thread-self links to <pid>/task/<tid>: setpriority on a thread id changes that thread alone.
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) setPriority(tid, Number(nice));
} catch {
  // Not Linux, or no /proc: the thread runs at the API's priority.
}
await import(script);
