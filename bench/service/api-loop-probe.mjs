/**
 * Preloaded into the API process by hostile-tenant.mjs --loop-delay (node --import): every second it
 * appends the event loop's delay over that second (p50, p99, max, in ms, from perf_hooks'
 * monitorEventLoopDelay) as a JSON line to `${os.tmpdir()}/trainyard-loop-delay-${pid}.jsonl`, which
 * the bench finds by the API's pid. It is the bench's instrument, not part of the service. The API's
 * background threads (upload checks, sample reads) load it too, and are left out: their loops block
 * on purpose.
 */
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

// Worker threads inherit the preload: only the main thread's loop (the one that answers every tenant) is recorded.
if (isMainThread) startProbe();

function startProbe() {
  const file = join(tmpdir(), `trainyard-loop-delay-${process.pid}.jsonl`);
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const ms = (ns) => Math.round(ns / 1e5) / 10;
  setInterval(() => {
    appendFileSync(
      file,
      JSON.stringify({ t: Date.now(), p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) }) +
        '\n',
    );
    histogram.reset();
  }, 1000).unref();
}
