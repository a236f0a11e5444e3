/**
 * The API process's background threads (uploads' checks, sample reads): one pool, shared by every
 * API in the process; each API's close ends its threads (background-thread-pool.ts).
 */
import { BackgroundThreadPool } from './background-thread-pool.js';

/** Threads per script at most: two uploads are checked at once, the rest wait their turn. */
const THREADS_PER_SCRIPT = 2;
/** An idle thread exits after this, returning its memory. */
const IDLE_MS = 30_000;

export const backgroundThreads = new BackgroundThreadPool({ maxThreads: THREADS_PER_SCRIPT, idleMs: IDLE_MS });
