/** Small pieces several pages use: status badges, progress bars, error boxes. */
import { h } from './dom/h.js';
import type { JobView } from './api/types.js';
import { TrainyardApiError } from './api/client.js';
import { seconds } from './format.js';

export function StatusBadge(props: { status: string }): Element {
  return <span class={`badge status-${props.status}`}>{props.status}</span>;
}

/** Overall progress of a job: finished epochs plus the share of the current one. */
function jobFraction(job: Pick<JobView, 'status' | 'progress'>): number {
  if (job.status === 'succeeded') return 1;
  const p = job.progress;
  if (!p || p.epochs === 0) return 0;
  const within = p.steps > 0 ? p.step / p.steps : 0;
  return Math.min(1, (p.epoch - 1 + within) / p.epochs);
}

export function ProgressBar(props: { job: Pick<JobView, 'status' | 'progress' | 'phase'> }): Element {
  const { job } = props;
  const fraction = jobFraction(job);
  const p = job.progress;
  const label =
    job.status === 'queued'
      ? 'waiting'
      : p
        ? `epoch ${p.epoch}/${p.epochs} · step ${p.step}/${p.steps}${job.status === 'running' && p.etaSeconds !== null ? ` · ETA ${seconds(p.etaSeconds)}` : ''}`
        : (job.phase ?? '');
  return (
    <div
      class={`progress status-${job.status}`}
      role="progressbar"
      aria-valuemin="0"
      aria-valuemax="100"
      aria-valuenow={Math.round(fraction * 100)}
    >
      <div class="progress-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      <span class="progress-label">{label}</span>
    </div>
  );
}

export function ErrorBox(props: { error: unknown }): Element {
  const error = props.error;
  if (error instanceof TrainyardApiError) {
    return (
      <div class="error-box" role="alert">
        <code>{error.code}</code> {error.message}
        {error.details ? <pre>{JSON.stringify(error.details, null, 2)}</pre> : null}
      </div>
    );
  }
  return (
    <div class="error-box" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </div>
  );
}
