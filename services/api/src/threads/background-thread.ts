/**
 * Worker threads for heavy work the API does on a tenant's behalf (checking an upload, reading
 * sample images), started at a lower CPU priority than the API's event loop: on a busy machine the
 * event loop, which answers every tenant, gets the CPU first, and one tenant's archive parsing waits
 * instead of delaying everyone's requests. Linux nice values are per thread, so the thread lowers its
 * own (background-entry.ts) before it loads its script; elsewhere it runs at normal priority.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The nice value of background threads: above the API's own (0), so the event loop preempts them. */
export const BACKGROUND_NICE = 10;

export function startBackgroundThread(script: URL, options: Omit<WorkerOptions, 'argv'>): Worker {
  return new Worker(new URL('./background-entry.js', import.meta.url), { ...options, argv: [script.href, String(BACKGROUND_NICE)] });
}
