/** #/workers: the live workers (GET /v1/workers), what each trains on and how busy it is; refreshed every 2 s. */
import { h } from '../dom/h.js';
import { api } from '../api/client.js';
import { count, when } from '../format.js';
import type { PageContext } from './page.js';
import { liveTablePage } from './live-table.js';

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

export function workersPage(context: PageContext): void {
  liveTablePage(context, {
    title: 'Workers',
    above: (
      <p class="muted">
        Workers that reported within the last minute. A job asking for a gpu or cpu accelerator runs only on a worker of that class.
      </p>
    ),
    tableClass: 'workers',
    testId: 'workers',
    columns: ['Worker', 'Class', 'Engine', 'Device', { label: 'Running jobs', num: true }, { label: 'Images/s', num: true }, 'Last seen'],
    load: async () => (await api.workers.list()).workers,
    row: (worker) => <WorkerRow worker={worker} />,
    empty: <p class="empty">No worker is running: queued jobs wait until one starts.</p>,
  });
}
