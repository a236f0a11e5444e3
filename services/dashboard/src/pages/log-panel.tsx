/**
 * The job's log (GET /v1/jobs/{id}/logs?follow=true): what its training process said, oldest first,
 * followed live until the job ends. It stays scrolled to the newest line unless the reader scrolled up.
 */
import { h, replaceChildren } from '../dom/h.js';
import { api } from '../api/client.js';
import type { JobLogLine } from '../api/types.js';
import { ErrorBox } from '../components.js';

/** Lines kept on the page, as many as the service keeps. */
const MAX_LINES = 10_000;

function LogLine(props: { line: JobLogLine }): Element {
  const { line } = props;
  return (
    <div class={`log-line level-${line.level}`}>
      <time datetime={line.time}>{line.time.slice(11, 19)}</time> <span class="log-level">{line.level}</span> <span>{line.message}</span>
    </div>
  );
}

export function logPanel(jobId: string, signal: AbortSignal): Element {
  const lines = <div class="log-lines" data-testid="log-lines" />;
  const status = <p class="muted">Loading the log…</p>;
  const section = (
    <section class="card" data-testid="job-log">
      <h2>Log</h2>
      {status}
      {lines}
    </section>
  );
  void (async () => {
    let shown = 0;
    try {
      for await (const line of api.jobs.followLogs(jobId, { signal })) {
        const atBottom = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 4;
        lines.appendChild(<LogLine line={line} />);
        if (++shown > MAX_LINES) lines.firstElementChild?.remove();
        if (atBottom) lines.scrollTop = lines.scrollHeight;
        replaceChildren(status, null);
      }
      if (!signal.aborted) replaceChildren(status, shown === 0 ? 'The job logged nothing.' : null);
    } catch (error) {
      if (!signal.aborted) replaceChildren(status, <ErrorBox error={error} />);
    }
  })();
  return section;
}
