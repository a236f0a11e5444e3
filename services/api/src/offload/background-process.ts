/**
 * Child processes for heavy work the API does on a tenant's behalf (checking an upload, reading sample
 * images), at a lower CPU priority than the API: on a busy machine the event loop, which answers every
 * tenant, gets the CPU first, and one tenant's archive parsing waits instead of delaying everyone's
 * requests. Processes, not worker threads: Linux nice values are per thread, and a worker thread's
 * garbage collection and optimizing compilation run on V8's helper threads, shared by the whole API
 * process at its priority. In a child every thread is niced (background-entry.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The nice value of background processes: above the API's own (0), so the event loop preempts them. */
export const BACKGROUND_NICE = 10;

const ENTRY = fileURLToPath(new URL('./background-entry.js', import.meta.url));

/** Starts a process that serves `script`'s tasks (serve-tasks.ts) with a heap of at most `heapMb`. */
export function startBackgroundProcess(script: URL, heapMb: number): ChildProcess {
  const child = fork(ENTRY, [script.href, String(BACKGROUND_NICE)], {
    // Not the API's own flags (a preload, an inspector port): only the heap limit.
    execArgv: [`--max-old-space-size=${heapMb}`],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  try {
    // At once, so that threads the child starts before its entry runs inherit it; the entry does the rest.
    if (child.pid !== undefined) setPriority(child.pid, BACKGROUND_NICE);
  } catch {
    // Not permitted here: the entry lowers its own threads.
  }
  return child;
}
