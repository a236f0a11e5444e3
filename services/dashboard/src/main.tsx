/**
 * The dashboard: a hash router (#/jobs, #/jobs/new, #/jobs/{id}, #/compare, #/datasets, #/datasets/{id},
 * #/workers, #/webhooks, #/webhooks/{id}, #/sweeps, #/sweeps/{id}) over
 * the pages, behind the sign-in page. Leaving a page aborts its signal, which stops its polling and
 * its event stream.
 */
import { h, replaceChildren } from './dom/h.js';
import { onUnauthorized, storedKey, storeKey } from './api/client.js';
import { signInPage } from './pages/sign-in.js';
import { jobListPage } from './pages/job-list.js';
import { jobPage } from './pages/job-page.js';
import { comparePage } from './pages/compare.js';
import { submitJobPage } from './pages/submit-job.js';
import { datasetListPage, datasetPage } from './pages/datasets.js';
import { workersPage } from './pages/workers.js';
import { webhookListPage, webhookPage } from './pages/webhooks.js';
import { sweepListPage, sweepPage } from './pages/sweeps.js';
import type { Page } from './pages/page.js';
import './styles.css';

const ROUTES: Array<[RegExp, string[], Page]> = [
  [/^#\/jobs\/new$/, [], submitJobPage],
  [/^#\/jobs\/([0-9a-f-]{36})$/, ['id'], jobPage],
  [/^#\/datasets\/([0-9a-f-]{36})$/, ['id'], datasetPage],
  [/^#\/datasets$/, [], datasetListPage],
  [/^#\/webhooks\/([0-9a-f-]{36})$/, ['id'], webhookPage],
  [/^#\/webhooks$/, [], webhookListPage],
  [/^#\/sweeps\/([0-9a-f-]{36})$/, ['id'], sweepPage],
  [/^#\/sweeps$/, [], sweepListPage],
  [/^#\/jobs$/, [], jobListPage],
  [/^#\/workers$/, [], workersPage],
  [/^#\/compare$/, [], comparePage],
];

const app = document.getElementById('app')!;
let leave = new AbortController();

function Shell(props: { main: HTMLElement }): Element {
  const signOut = () => {
    storeKey(null);
    route();
  };
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="#/jobs">
          Trainyard
        </a>
        <nav>
          <a href="#/jobs">Jobs</a>
          <a href="#/jobs/new">New job</a>
          <a href="#/datasets">Datasets</a>
          <a href="#/workers">Workers</a>
          <a href="#/webhooks">Webhooks</a>
          <a href="#/sweeps">Sweeps</a>
          <a href="/docs" target="_blank">
            API docs
          </a>
        </nav>
        <button class="button link" onClick={signOut}>
          Sign out
        </button>
      </header>
      {props.main}
    </div>
  );
}

function route(): void {
  leave.abort();
  leave = new AbortController();
  if (!storedKey()) {
    signInPage(app, () => {
      if (!location.hash || location.hash === '#/') location.hash = '#/jobs';
      else route();
    });
    return;
  }
  const hash = location.hash.split('?')[0]!;
  const found = ROUTES.find(([pattern]) => pattern.test(hash));
  if (!found) {
    location.replace('#/jobs');
    return;
  }
  const [pattern, names, page] = found;
  const match = pattern.exec(hash)!;
  const params = Object.fromEntries(names.map((name, i) => [name, match[i + 1]!]));
  const main = (<main />) as HTMLElement;
  replaceChildren(app, <Shell main={main} />);
  for (const link of app.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    if (link.getAttribute('href') === hash) link.classList.add('active');
  }
  void page({ root: main, params, signal: leave.signal });
}

// A key revoked while signed in: back to the sign-in page (the sign-in page shows its own errors).
onUnauthorized.addEventListener('unauthorized', () => {
  if (!app.querySelector('.shell')) return;
  storeKey(null);
  route();
});
window.addEventListener('hashchange', route);
route();
