/**
 * #/sweeps: the tenant's sweeps; #/sweeps/{id}: one sweep, refreshed while it runs: its best trial,
 * the leaderboard (which trials ASHA pruned, at which rung), and each hyperparameter against the
 * metric as a scatter plot, one point per trial.
 */
import { h, replaceChildren } from '../dom/h.js';
import { api } from '../api/client.js';
import type { SweepSummary, SweepView } from '../api/types.js';
import { scatterChart } from '../charts/scatter-chart.js';
import { ErrorBox, StatusBadge } from '../components.js';
import { shortId, when } from '../format.js';
import { every, type PageContext } from './page.js';
import { liveTablePage } from './live-table.js';

const COLORS = { pruned: '#f59e0b', finished: '#2563eb', other: '#94a3b8' };

function metricText(value: number | null): string {
  return value === null ? '–' : Number(value.toPrecision(4)).toString();
}

function valueText(value: unknown): string {
  return typeof value === 'number' ? Number(value.toPrecision(4)).toString() : String(value);
}

function SweepRow(props: { sweep: SweepSummary }): Element {
  const { sweep } = props;
  return (
    <tr class="sweep-row" data-sweep-id={sweep.id} onClick={() => (location.hash = `#/sweeps/${sweep.id}`)}>
      <td>
        <a href={`#/sweeps/${sweep.id}`}>{sweep.name ?? shortId(sweep.id)}</a>
        <div class="muted mono">{shortId(sweep.id)}</div>
      </td>
      <td>{sweep.searcher.type}</td>
      <td>
        <StatusBadge status={sweep.status} />
      </td>
      <td class="num">{`${sweep.trials.created}/${sweep.trials.planned}`}</td>
      <td class="num">{sweep.best ? `${metricText(sweep.best.metric)} (trial ${sweep.best.trial})` : '–'}</td>
      <td class="muted">{when(sweep.createdAt)}</td>
    </tr>
  );
}

export function sweepListPage(context: PageContext): void {
  liveTablePage(context, {
    title: 'Sweeps',
    tableClass: 'sweeps',
    columns: ['Sweep', 'Searcher', 'Status', { label: 'Trials', num: true }, { label: 'Best', num: true }, 'Created'],
    load: async () => (await api.sweeps.list({ limit: 50 })).sweeps,
    row: (sweep) => <SweepRow sweep={sweep} />,
    empty: <p class="empty">No sweeps yet: POST /v1/sweeps or `trainyard sweeps submit`.</p>,
  });
}

function Leaderboard(props: { sweep: SweepView }): Element {
  const { sweep } = props;
  const paths = Object.keys(sweep.space).sort();
  return (
    <table class="table compact leaderboard" data-testid="leaderboard">
      <thead>
        <tr>
          <th class="num">#</th>
          <th>Trial</th>
          <th>Status</th>
          <th class="num">Epochs</th>
          <th class="num">{sweep.metric}</th>
          <th>Stopped</th>
          {paths.map((path) => (
            <th>{path.replace(/^hyperparameters\./, '')}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sweep.leaderboard.map((entry, rank) => (
          <tr data-trial={entry.trial} data-pruned-at={entry.prunedAtRung ?? ''}>
            <td class="num">{rank + 1}</td>
            <td>
              <a href={`#/jobs/${entry.jobId}`}>{`trial ${entry.trial}`}</a>
            </td>
            <td>
              <StatusBadge status={entry.status} />
            </td>
            <td class="num">{entry.epochs}</td>
            <td class="num">{metricText(entry.metric)}</td>
            <td>{entry.prunedAtRung !== null ? `pruned at rung ${entry.prunedAtRung}` : (entry.stopReason?.replace('_', ' ') ?? '–')}</td>
            {paths.map((path) => (
              <td class="mono">{entry.hyperparameters[path] === undefined ? '–' : valueText(entry.hyperparameters[path])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Trials stopped at each rung, from the leaderboard. */
function Rungs(props: { sweep: SweepView }): Element | null {
  const { sweep } = props;
  if (sweep.searcher.type !== 'asha') return null;
  const pruned = new Map<number, number[]>();
  for (const entry of sweep.leaderboard) {
    if (entry.prunedAtRung !== null) pruned.set(entry.prunedAtRung, [...(pruned.get(entry.prunedAtRung) ?? []), entry.trial]);
  }
  const rungs = [...pruned.keys()].sort((a, b) => a - b);
  return (
    <div class="card" data-testid="rungs">
      <h2>Pruned by ASHA</h2>
      {rungs.length === 0 ? (
        <p class="muted">No trial was stopped yet.</p>
      ) : (
        <ul>
          {rungs.map((rung) => (
            <li data-rung={rung}>{`rung ${rung} (after ${rung} epoch${rung === 1 ? '' : 's'}): trials ${pruned
              .get(rung)!
              .sort((a, b) => a - b)
              .join(', ')}`}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function scatterPlots(sweep: SweepView): Element[] {
  const trials = sweep.leaderboard.filter((entry) => entry.metric !== null);
  return Object.keys(sweep.space)
    .sort()
    .map((path) => {
      const parameter = sweep.space[path]!;
      const points = trials
        .filter((entry) => entry.hyperparameters[path] !== undefined)
        .map((entry) => ({
          x: entry.hyperparameters[path]!,
          y: entry.metric!,
          color: entry.prunedAtRung !== null ? COLORS.pruned : entry.status === 'succeeded' ? COLORS.finished : COLORS.other,
          label: `trial ${entry.trial}: ${valueText(entry.hyperparameters[path])} → ${metricText(entry.metric)}${entry.prunedAtRung !== null ? ` (pruned at rung ${entry.prunedAtRung})` : ''}`,
        }));
      const chart = scatterChart(points, {
        title: `${path.replace(/^hyperparameters\./, '')} vs ${sweep.metric}`,
        xLabel: path,
        yLabel: sweep.metric,
        logX: parameter.type === 'logUniform',
      });
      chart.dataset.parameter = path;
      return chart;
    });
}

export function sweepPage({ root, params, signal }: PageContext): void {
  const id = params.id!;
  every(2_000, signal, async () => {
    let sweep: SweepView;
    try {
      sweep = await api.sweeps.get(id);
    } catch (error) {
      replaceChildren(root, <ErrorBox error={error} />);
      return true;
    }
    const cancel = () => void api.sweeps.cancel(id).catch((error) => replaceChildren(root, <ErrorBox error={error} />));
    replaceChildren(
      root,
      <section data-testid="sweep" data-status={sweep.status}>
        <div class="page-head">
          <h1>{sweep.name ?? `Sweep ${shortId(sweep.id)}`}</h1>
          <StatusBadge status={sweep.status} />
          {sweep.status === 'running' ? (
            <button class="button danger" onClick={cancel}>
              Cancel
            </button>
          ) : null}
        </div>
        <dl class="facts">
          <div>
            <dt>Searcher</dt>
            <dd>
              {Object.entries(sweep.searcher)
                .map(([key, value]) => `${key} ${String(value)}`)
                .join(' · ')}
            </dd>
          </div>
          <div>
            <dt>Metric</dt>
            <dd>{`${sweep.metric} (${sweep.goal})`}</dd>
          </div>
          <div>
            <dt>Trials</dt>
            <dd>{`${sweep.trials.created} of ${sweep.trials.planned} created, at most ${sweep.maxConcurrentTrials} at once`}</dd>
          </div>
          <div>
            <dt>Best</dt>
            <dd data-testid="best">
              {sweep.best ? (
                <a href={`#/jobs/${sweep.best.jobId}`}>{`trial ${sweep.best.trial}: ${metricText(sweep.best.metric)}`}</a>
              ) : (
                '–'
              )}
            </dd>
          </div>
        </dl>
        {sweep.error ? <ErrorBox error={new Error(`${sweep.error.code}: ${sweep.error.message}`)} /> : null}
        <div class="charts" data-testid="scatter">
          {scatterPlots(sweep)}
        </div>
        <Rungs sweep={sweep} />
        <Leaderboard sweep={sweep} />
      </section>,
    );
    return sweep.status === 'running';
  });
}
