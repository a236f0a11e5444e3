/**
 * The API process's background processes (uploads' checks, sample reads): one pool, shared by every
 * API in the process; each API's close ends its processes (background-process-pool.ts).
 */
import { BackgroundProcessPool } from './background-process-pool.js';

/** Processes per script at most: two uploads are checked at once, the rest wait their turn. */
const PROCESSES_PER_SCRIPT = 2;
/** An idle process exits after this, returning its memory. */
const IDLE_MS = 30_000;

export const backgroundProcesses = new BackgroundProcessPool({ maxProcesses: PROCESSES_PER_SCRIPT, idleMs: IDLE_MS });
