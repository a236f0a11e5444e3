/** #/workers: the live workers (GET /v1/workers), what each trains on and how busy it is; refreshed every 2 s. */
import { h, replaceChildren } from '../dom/h.js';
import { api } from '../api/client.js';
import { ErrorBox } from '../components.js';
import { count, when } from '../format.js';
import { every, type PageContext } from './page.js';

type WorkerView = Awaited<ReturnType<typeof api.workers.list>>['workers'][number];

function WorkerRow(props: { worker: WorkerView }): Element {
  const { worker } = props;
  return (
    <tr class="worker-row" data-worker-id={worker.id} data-accelerator={worker.accelerator ?? ''}>
      <td class="mono">{worker.id}</td>
      <td>{worker.accelerator ? <span class={`badge accelerator-${worker.accelerator}`}>{worker.accelerator}</span> : '–'}</td>
      <td>{worker.engine ?? '–'}</td>
      <td>
        {worker.device ? worker.device.name : '–'}
        {worker.device ? <div class="muted">computes on the {worker.device.kind}</div> : null}
      </td>
      <td class="num">{count(worker.runningJobs)}</td>
      <td class="num">{count(Math.round(worker.imagesPerSecond))}</td>
      <td class="muted">{when(worker.lastSeenAt)}</td>
    </tr>
  );
}

export function workersPage({ root, signal }: PageContext): void {
  const body = (<tbody />) as HTMLTableSectionElement;
  const message = <div />;
  replaceChildren(
    root,
    <section>
      <div class="page-head">
        <h1>Workers</h1>
      </div>
      <p class="muted">
        Workers that reported within the last minute. A job asking for a gpu or cpu accelerator runs only on a worker of that class.
      </p>
      {message}
      <table class="table workers" data-testid="workers">
        <thead>
          <tr>
            <th>Worker</th>
            <th>Class</th>
            <th>Engine</th>
            <th>Device</th>
            <th class="num">Running jobs</th>
            <th class="num">Images/s</th>
            <th>Last seen</th>
          </tr>
        </thead>
        {body}
      </table>
    </section>,
  );

  every(2_000, signal, async () => {
    try {
      const { workers } = await api.workers.list();
      replaceChildren(
        body,
        workers.map((worker) => <WorkerRow worker={worker} />),
      );
      replaceChildren(message, workers.length === 0 ? <p class="empty">No worker is running: queued jobs wait until one starts.</p> : null);
    } catch (error) {
      replaceChildren(message, <ErrorBox error={error} />);
    }
    return true;
  });
}
