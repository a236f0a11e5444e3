/**
 * #/jobs/{id}: one job. Its header and progress, live curves (per batch while it runs, per epoch),
 * the learning rate, the job's log (followed live), then on success the evaluation (confusion matrix,
 * per-class table), sample test images labelled by the trained model running in this page, the model
 * download, and "try it".
 *
 * The curves come from GET /metrics (epochs) and the job's event stream, which replays the job's
 * event log first (per-batch points included) and then follows it live.
 */
import { h, replaceChildren } from '../dom/h.js';
import { api, saveAs } from '../api/client.js';
import type { EpochMetricsView, EvaluationView, JobEvent, JobView } from '../api/types.js';
import { ErrorBox, ProgressBar, StatusBadge } from '../components.js';
import { LineChart, type Series } from '../charts/line-chart.js';
import { ConfusionMatrix } from '../charts/confusion-matrix.js';
import { count, fixed, percent, seconds, shortId, when } from '../format.js';
import { samplesSection } from './samples-section.js';
import { tryModelSection } from './try-model.js';
import { predictSection } from './predict-section.js';
import { logPanel } from './log-panel.js';
import type { PageContext } from './page.js';

const COLORS = { train: '#2563eb', trainBatch: '#93c5fd', validation: '#ea580c', lr: '#7c3aed' };

interface Curves {
  batches: Array<{ x: number; loss: number; accuracy: number; learningRate: number }>;
  epochs: Map<number, EpochMetricsView>;
}

function JobHeader(props: { job: JobView; onCancel: () => void; onDownload: () => void }): Element {
  const { job } = props;
  const dataset = 'builtin' in job.spec.dataset ? job.spec.dataset.builtin : `dataset ${shortId(job.spec.dataset.id)}`;
  const h9 = job.spec.hyperparameters;
  return (
    <div class="job-header">
      <div class="page-head">
        <h1>
          {job.name ?? `Job ${shortId(job.id)}`} <StatusBadge status={job.status} />
        </h1>
        <div class="actions">
          {job.status === 'queued' || job.status === 'running' ? (
            <button class="button danger" onClick={props.onCancel} disabled={job.cancelRequested}>
              {job.cancelRequested ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : null}
          {job.status === 'succeeded' ? (
            <button class="button" onClick={props.onDownload} data-testid="download-model">
              Download model (.tar.gz)
            </button>
          ) : null}
        </div>
      </div>
      <dl class="facts">
        <div>
          <dt>Id</dt>
          <dd class="mono">{job.id}</dd>
        </div>
        <div>
          <dt>Architecture</dt>
          <dd>{job.architecture}</dd>
        </div>
        <div>
          <dt>Dataset</dt>
          <dd>{dataset}</dd>
        </div>
        <div>
          <dt>Training</dt>
          <dd>{`${h9.epochs} epochs · batch ${h9.batchSize} · ${h9.optimizer} lr ${h9.learningRate} · ${h9.schedule}`}</dd>
        </div>
        <div>
          <dt>Engine</dt>
          <dd>{job.engine ?? '–'}</dd>
        </div>
        <div>
          <dt>Device</dt>
          <dd>{job.device ? `${job.device.name} (${job.device.kind})` : '–'}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{job.attempts}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{when(job.createdAt)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{when(job.finishedAt)}</dd>
        </div>
        {job.sweepId ? (
          <div>
            <dt>Sweep</dt>
            <dd>
              <a href={`#/sweeps/${job.sweepId}`} data-testid="job-sweep">{`trial of sweep ${shortId(job.sweepId)}`}</a>
            </dd>
          </div>
        ) : null}
        {job.stopReason ? (
          <div>
            <dt>Stopped</dt>
            <dd data-testid="stop-reason">{job.stopReason === 'pruned' ? 'pruned by its sweep (ASHA)' : 'early stopping'}</dd>
          </div>
        ) : null}
      </dl>
      {job.error ? <ErrorBox error={Object.assign(new Error(job.error.message), { name: job.error.code })} /> : null}
    </div>
  );
}

function LiveStats(props: { job: JobView }): Element {
  const p = props.job.progress;
  return (
    <div class="live-stats">
      <ProgressBar job={props.job} />
      <span>phase: {props.job.phase ?? '–'}</span>
      <span>{p?.imagesPerSecond ? `${count(Math.round(p.imagesPerSecond))} images/s` : ''}</span>
    </div>
  );
}

function EpochTable(props: { epochs: EpochMetricsView[] }): Element {
  return (
    <table class="table compact epochs">
      <thead>
        <tr>
          <th class="num">Epoch</th>
          <th class="num">Train loss</th>
          <th class="num">Train acc.</th>
          <th class="num">Val. loss</th>
          <th class="num">Val. acc.</th>
          <th class="num">Learning rate</th>
          <th class="num">Time</th>
        </tr>
      </thead>
      <tbody>
        {props.epochs.map((e) => (
          <tr>
            <td class="num">{e.epoch}</td>
            <td class="num">{fixed(e.trainLoss)}</td>
            <td class="num">{percent(e.trainAccuracy)}</td>
            <td class="num">{fixed(e.validationLoss)}</td>
            <td class="num">{percent(e.validationAccuracy)}</td>
            <td class="num">{e.learningRate.toExponential(2)}</td>
            <td class="num">{seconds(e.seconds)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EvaluationSection(props: { evaluation: EvaluationView }): Element {
  const e = props.evaluation;
  return (
    <section class="card" data-testid="evaluation">
      <h2>Evaluation on the test set</h2>
      <div class="stats">
        <div class="stat">
          <span class="stat-value">{percent(e.top1, 2)}</span>
          <span class="stat-label">top-1 accuracy</span>
        </div>
        <div class="stat">
          <span class="stat-value">{percent(e.top5, 2)}</span>
          <span class="stat-label">top-5 accuracy</span>
        </div>
        <div class="stat">
          <span class="stat-value">{fixed(e.loss)}</span>
          <span class="stat-label">loss</span>
        </div>
      </div>
      <div class="two-columns">
        <div>
          <h3>Confusion matrix</h3>
          <ConfusionMatrix matrix={e.confusionMatrix} classNames={e.classNames} />
        </div>
        <div>
          <h3>Per class</h3>
          <table class="table compact per-class">
            <thead>
              <tr>
                <th>Class</th>
                <th class="num">Precision</th>
                <th class="num">Recall</th>
                <th class="num">F1</th>
                <th class="num">Support</th>
              </tr>
            </thead>
            <tbody>
              {e.perClass.map((c) => (
                <tr>
                  <td>{c.className}</td>
                  <td class="num">{percent(c.precision)}</td>
                  <td class="num">{percent(c.recall)}</td>
                  <td class="num">{percent(c.f1)}</td>
                  <td class="num">{c.support}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}

export async function jobPage({ root, params, signal }: PageContext): Promise<void> {
  const id = params.id!;
  const header = <div />;
  const stats = <div />;
  const epochTable = <div />;
  const results = <div />;
  const lossChart = new LineChart({ title: 'Loss', xLabel: 'epoch', format: (v) => v.toFixed(2) });
  const accuracyChart = new LineChart({ title: 'Accuracy', xLabel: 'epoch', yRange: [0, 1], format: (v) => `${Math.round(v * 100)}%` });
  const lrChart = new LineChart({ title: 'Learning rate', xLabel: 'epoch', format: (v) => v.toExponential(1) });
  replaceChildren(
    root,
    <section>
      {header}
      {stats}
      <div class="charts" data-testid="charts">
        {lossChart.element}
        {accuracyChart.element}
        {lrChart.element}
      </div>
      {epochTable}
      {logPanel(id, signal)}
      {results}
    </section>,
  );

  const curves: Curves = { batches: [], epochs: new Map() };
  let job: JobView;
  let resultsShown = false;

  const drawCurves = () => {
    const epochs = [...curves.epochs.values()].sort((a, b) => a.epoch - b.epoch);
    const byEpoch = (pick: (e: EpochMetricsView) => number | null): Array<[number, number]> =>
      epochs.filter((e) => pick(e) !== null).map((e) => [e.epoch, pick(e)!]);
    const batch = (pick: (b: Curves['batches'][number]) => number): Array<[number, number]> => curves.batches.map((b) => [b.x, pick(b)]);
    const lines = (metric: 'loss' | 'accuracy'): Series[] => [
      { name: 'train (batch)', color: COLORS.trainBatch, points: batch((b) => b[metric]) },
      {
        name: 'train (epoch)',
        color: COLORS.train,
        points: byEpoch((e) => (metric === 'loss' ? e.trainLoss : e.trainAccuracy)),
        dots: true,
      },
      {
        name: 'validation',
        color: COLORS.validation,
        points: byEpoch((e) => (metric === 'loss' ? e.validationLoss : e.validationAccuracy)),
        dots: true,
      },
    ];
    lossChart.update(lines('loss'));
    accuracyChart.update(lines('accuracy'));
    lrChart.update([
      { name: 'per batch', color: COLORS.lr, points: batch((b) => b.learningRate) },
      { name: 'per epoch', color: COLORS.train, points: byEpoch((e) => e.learningRate), dots: true },
    ]);
    replaceChildren(epochTable, epochs.length > 0 ? <EpochTable epochs={epochs} /> : null);
  };

  const drawHeader = () => {
    replaceChildren(
      header,
      <JobHeader
        job={job}
        onCancel={() => void api.jobs.cancel(id).then(refresh, (error) => replaceChildren(stats, <ErrorBox error={error} />))}
        onDownload={() =>
          void api.jobs.model(id).then(
            (response) => saveAs(response, `${id}.tar.gz`),
            (error) => replaceChildren(stats, <ErrorBox error={error} />),
          )
        }
      />,
    );
    replaceChildren(stats, <LiveStats job={job} />);
  };

  const showResults = async () => {
    if (resultsShown || job.status !== 'succeeded') return;
    resultsShown = true;
    const evaluation = await api.jobs.evaluation(id);
    replaceChildren(results, <EvaluationSection evaluation={evaluation} />, samplesSection(id), tryModelSection(id), predictSection(id));
  };

  async function refresh(): Promise<void> {
    job = await api.jobs.get(id);
    const { epochs } = await api.jobs.metrics(id);
    for (const e of epochs) curves.epochs.set(e.epoch, e);
    drawHeader();
    drawCurves();
    await showResults();
  }

  try {
    await refresh();
  } catch (error) {
    replaceChildren(root, <ErrorBox error={error} />);
    return;
  }

  const onEvent = (event: JobEvent) => {
    if (event.type === 'progress') {
      const { epoch, epochs, step, steps, imagesPerSecond, etaSeconds } = event;
      const x = epoch - 1 + step / Math.max(1, steps);
      if (event.loss !== undefined)
        curves.batches.push({ x, loss: event.loss, accuracy: Number(event.accuracy), learningRate: Number(event.learningRate) });
      job = {
        ...job,
        status: job.status === 'queued' ? 'running' : job.status,
        progress: { epoch, epochs, step, steps, imagesPerSecond, etaSeconds },
      };
      replaceChildren(stats, <LiveStats job={job} />);
      drawCurves();
    } else if (event.type === 'epoch') {
      const { type: _type, jobId: _jobId, at: _at, ...metrics } = event;
      // An epoch event has no imagesPerSecond; GET /metrics fills it in on the next refresh.
      curves.epochs.set(event.epoch, { ...metrics, imagesPerSecond: curves.epochs.get(event.epoch)?.imagesPerSecond ?? 0 });
      drawCurves();
    } else {
      void refresh();
    }
  };
  (async () => {
    for await (const event of api.jobs.events(id, { signal })) onEvent(event);
    if (!signal.aborted) await refresh();
  })().catch((error) => replaceChildren(stats, <ErrorBox error={error} />));
}
