/**
 * Parameter counts of the catalog's architectures. Counting means building each model with tfjs, which
 * the API process must not load (memory, start-up time), so a child process does it once
 * (count-parameters-child.ts, ~10 s for the whole catalog) and the result is kept for the process's
 * life. startApi starts it in the background; the first GET /v1/architectures waits for it if needed.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./count-parameters-child.js', import.meta.url));
const TIMEOUT_MS = 180_000;

let counts: Promise<Map<string, number>> | null = null;

export function parameterCounts(logger?: Logger): Promise<Map<string, number>> {
  counts ??= (async () => {
    try {
      const { stdout } = await run(process.execPath, [CHILD], { timeout: TIMEOUT_MS, maxBuffer: 1024 * 1024 });
      const parsed = JSON.parse(stdout) as Record<string, number | null>;
      return new Map(Object.entries(parsed).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
    } catch (error) {
      logger?.warn({ err: error }, 'could not count parameters; architectures are listed without them');
      counts = null; // the next request tries again
      return new Map<string, number>();
    }
  })();
  return counts;
}
