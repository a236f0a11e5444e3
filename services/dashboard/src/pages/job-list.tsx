/**
 * #/jobs: the tenant's jobs, newest first, with status filters and progress bars; refreshed while jobs
 * run. Jobs ticked in the list open side by side in #/compare.
 */
import { h } from '../dom/h.js';
import { api } from '../api/client.js';
import type { JobView } from '../api/types.js';
import { ProgressBar, StatusBadge } from '../components.js';
import { percent, shortId, when } from '../format.js';
import type { PageContext } from './page.js';
import { liveTablePage } from './live-table.js';

/** The most jobs GET /v1/jobs/compare takes. */
const COMPARE_MAX = 10;

const FILTERS = ['all', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

function accuracyOf(job: JobView): string {
  const best = job.metrics.best;
  if (!best) return '–';
  return percent(best.validationAccuracy ?? best.trainAccuracy);
}

function JobRow(props: { job: JobView; selected: Set<string>; onSelect: () => void }): Element {
  const { job, selected } = props;
  return (
    <tr class="job-row" data-job-id={job.id} data-status={job.status} onClick={() => (location.hash = `#/jobs/${job.id}`)}>
      <td onClick={(event: Event) => event.stopPropagation()}>
        <input
          type="checkbox"
          data-testid="select-job"
          aria-label={`Compare ${job.name ?? shortId(job.id)}`}
          checked={selected.has(job.id)}
          onChange={(event: Event) => {
            if ((event.target as HTMLInputElement).checked) selected.add(job.id);
            else selected.delete(job.id);
            props.onSelect();
          }}
        />
      </td>
      <td>
        <a href={`#/jobs/${job.id}`}>{job.name ?? shortId(job.id)}</a>
        <div class="muted mono">{shortId(job.id)}</div>
        {Object.entries(job.tags).map(([key, value]) => (
          <span class="tag">
            {key}={value}
          </span>
        ))}
      </td>
      <td>{job.architecture}</td>
      <td>{'builtin' in job.spec.dataset ? job.spec.dataset.builtin : `dataset ${shortId(job.spec.dataset.id)}`}</td>
      <td>
        <StatusBadge status={job.status} />
      </td>
      <td class="progress-cell">
        <ProgressBar job={job} />
      </td>
      <td class="num">{accuracyOf(job)}</td>
      <td class="muted">{when(job.createdAt)}</td>
    </tr>
  );
}

export function jobListPage(context: PageContext): void {
  const filter = new URLSearchParams(location.hash.split('?')[1] ?? '').get('status') ?? 'all';
  // Kept across refreshes: the rows are redrawn every 2 s.
  const selected = new Set<string>();
  const compare = (
    <button
      class="button"
      data-testid="compare-selected"
      disabled
      onClick={() => (location.hash = `#/compare?ids=${[...selected].join(',')}`)}
    >
      Compare
    </button>
  ) as HTMLButtonElement;
  const onSelect = () => {
    compare.disabled = selected.size < 2 || selected.size > COMPARE_MAX;
    compare.textContent = selected.size > 0 ? `Compare ${selected.size}` : 'Compare';
  };
  liveTablePage(context, {
    title: 'Jobs',
    actions: (
      <div class="actions">
        {compare}
        <a class="button primary" href="#/jobs/new">
          New job
        </a>
      </div>
    ),
    above: (
      <nav class="filters" aria-label="Filter by status">
        {FILTERS.map((name) => (
          <a class={`chip${name === filter ? ' active' : ''}`} href={name === 'all' ? '#/jobs' : `#/jobs?status=${name}`}>
            {name}
          </a>
        ))}
      </nav>
    ),
    tableClass: 'jobs',
    columns: [
      { ariaLabel: 'Select to compare' },
      'Job',
      'Architecture',
      'Dataset',
      'Status',
      'Progress',
      { label: 'Accuracy', num: true },
      'Created',
    ],
    load: async () => (await api.jobs.list({ limit: 50, status: filter === 'all' ? undefined : (filter as JobView['status']) })).jobs,
    row: (job) => <JobRow job={job} selected={selected} onSelect={onSelect} />,
    empty: (
      <p class="empty">
        No jobs yet. <a href="#/jobs/new">Submit one.</a>
      </p>
    ),
  });
}
