/**
 * #/compare?ids=a,b,c: the jobs chosen in the job list side by side (GET /v1/jobs/compare): their
 * per-epoch curves overlaid on one epoch axis, one colour per job, and a table of where their specs
 * differ with their final metrics and test accuracy.
 */
import { h, replaceChildren } from '../dom/h.js';
import { api } from '../api/client.js';
import type { ComparedJobView, EpochMetricsView } from '../api/types.js';
import { LineChart, type Series } from '../charts/line-chart.js';
import { ErrorBox, StatusBadge } from '../components.js';
import { fixed, percent, shortId } from '../format.js';
import type { PageContext } from './page.js';

const PALETTE = ['#2563eb', '#ea580c', '#16a34a', '#7c3aed', '#db2777', '#0891b2', '#ca8a04', '#4b5563', '#dc2626', '#65a30d'];

const CHARTS: Array<{ title: string; metric: keyof EpochMetricsView; accuracy?: boolean }> = [
  { title: 'Train loss', metric: 'trainLoss' },
  { title: 'Validation loss', metric: 'validationLoss' },
  { title: 'Train accuracy', metric: 'trainAccuracy', accuracy: true },
  { title: 'Validation accuracy', metric: 'validationAccuracy', accuracy: true },
];

/** The ids of the page's URL (#/compare?ids=a,b). */
function compareIds(): string[] {
  const ids = new URLSearchParams(location.hash.split('?')[1] ?? '').get('ids') ?? '';
  return ids.split(',').filter(Boolean);
}

function label(job: ComparedJobView): string {
  return job.name ?? shortId(job.id);
}

function value(text: unknown): string {
  return text === null || text === undefined ? '–' : typeof text === 'string' ? text : JSON.stringify(text);
}

export async function comparePage({ root }: PageContext): Promise<void> {
  const ids = compareIds();
  replaceChildren(root, <p class="muted">Loading…</p>);
  try {
    const comparison = await api.jobs.compare(ids);
    const colours = new Map(comparison.jobs.map((job, index) => [job.id, PALETTE[index % PALETTE.length]!]));
    const charts = CHARTS.flatMap(({ title, metric, accuracy }) => {
      const series: Series[] = comparison.jobs.map((job) => ({
        name: label(job),
        color: colours.get(job.id)!,
        points: job.curve.flatMap((row): Array<[number, number]> => (row && row[metric] !== null ? [[row.epoch, row[metric]]] : [])),
        dots: true,
      }));
      if (series.every((one) => one.points.length === 0)) return [];
      const chart = accuracy
        ? new LineChart({ title, xLabel: 'epoch', yRange: [0, 1], format: (v) => `${Math.round(v * 100)}%` })
        : new LineChart({ title, xLabel: 'epoch', format: (v) => v.toFixed(2) });
      chart.update(series);
      chart.element.setAttribute('data-metric', metric);
      return [chart.element];
    });
    replaceChildren(
      root,
      <section>
        <div class="page-head">
          <h1>Compare {String(comparison.jobs.length)} jobs</h1>
          <a class="button" href="#/jobs">
            Back to jobs
          </a>
        </div>
        <div class="charts" data-testid="compare-charts">
          {charts}
        </div>
        {charts.length === 0 ? <p class="empty">None of these jobs has finished an epoch yet.</p> : null}
        <div class="card">
          <table class="table compact" data-testid="compare-table">
            <thead>
              <tr>
                <th>Job</th>
                <th>Status</th>
                <th>Architecture</th>
                {comparison.differences.map((path) => (
                  <th class="mono">{path}</th>
                ))}
                <th class="num">Epochs</th>
                <th class="num">Train loss</th>
                <th class="num">Validation accuracy</th>
                <th class="num">Test top-1</th>
              </tr>
            </thead>
            <tbody>
              {comparison.jobs.map((job) => (
                <tr data-job-id={job.id}>
                  <td>
                    <span style={{ color: colours.get(job.id) }}>● </span>
                    <a href={`#/jobs/${job.id}`}>{label(job)}</a>
                  </td>
                  <td>
                    <StatusBadge status={job.status} />
                  </td>
                  <td>{job.architecture}</td>
                  {comparison.differences.map((path) => (
                    <td class="mono" data-path={path}>
                      {value(job.specDifferences[path])}
                    </td>
                  ))}
                  <td class="num">{job.finalMetrics ? String(job.finalMetrics.epoch) : '–'}</td>
                  <td class="num">{fixed(job.finalMetrics?.trainLoss)}</td>
                  <td class="num">{percent(job.finalMetrics?.validationAccuracy)}</td>
                  <td class="num">{percent(job.evaluation?.top1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {comparison.differences.length === 0 ? <p class="muted">Their specs are the same.</p> : null}
        </div>
      </section>,
    );
  } catch (error) {
    replaceChildren(root, <ErrorBox error={error} />);
  }
}
