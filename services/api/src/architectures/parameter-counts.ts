/**
 * Facts about the catalog's architectures that only a built model can tell: parameter counts and
 * activation sizes. Building models means loading tfjs, which the API process must not do (memory,
 * start-up time), so a child process does it once (count-parameters-child.ts) and the result is kept
 * for the process's life. startApi starts it in the background; GET /v1/architectures waits for it;
 * the memory estimate of a submission uses it once it is there.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

export interface ArchitectureFacts {
  /** Trainable parameters at the native input shape and default classes. */
  parameters: number;
  /** Values all layers output for one example at the native input shape (training graph). */
  activationsPerExample: number;
  inputShape: [number, number, number];
}

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./count-parameters-child.js', import.meta.url));
const TIMEOUT_MS = 300_000;

let pending: Promise<Map<string, ArchitectureFacts>> | null = null;
let known: Map<string, ArchitectureFacts> | null = null;

export function architectureFacts(logger?: Logger): Promise<Map<string, ArchitectureFacts>> {
  pending ??= (async () => {
    try {
      const { stdout } = await run(process.execPath, [CHILD], { timeout: TIMEOUT_MS, maxBuffer: 1024 * 1024 });
      const parsed = JSON.parse(stdout) as Record<string, ArchitectureFacts | null>;
      known = new Map(Object.entries(parsed).filter((entry): entry is [string, ArchitectureFacts] => entry[1] !== null));
      return known;
    } catch (error) {
      logger?.warn({ err: error }, 'could not build the catalog to count parameters; they are listed as null');
      pending = null; // the next caller tries again
      return new Map<string, ArchitectureFacts>();
    }
  })();
  return pending;
}

/**
 * For the HTTP processes of a cluster (API_PROCESSES > 1): the primary builds the facts once and
 * sends them over; `architectureFacts()` then waits for `facts` instead of starting its own child.
 */
export function provideArchitectureFacts(facts: Promise<Record<string, ArchitectureFacts>>): void {
  pending = facts.then((parsed) => {
    known = new Map(Object.entries(parsed));
    return known;
  });
}

/** The facts if they are already known, without waiting (for the submission hot path). */
export function architectureFactsIfKnown(): Map<string, ArchitectureFacts> | null {
  return known;
}
