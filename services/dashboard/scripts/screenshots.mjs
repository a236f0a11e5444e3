#!/usr/bin/env node
/**
 * Regenerates the README's screenshots of the dashboard (docs/screenshots/*.png) from a real run:
 * starts the API and a worker on a fresh database (services/cli/src/testing/live-service.ts), trains
 * LeNet-5 on Fashion-MNIST (or the synthetic set when Fashion-MNIST is not installed), and takes the
 * pictures in Debian's Chromium. Build first (`npm run build`); takes about two minutes.
 *
 *   node services/dashboard/scripts/screenshots.mjs [output folder]
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLiveService } from '@trainyard/cli/testing';
import { launchChromium } from '../dist/test/chromium.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const out = resolve(process.argv[2] ?? join(repo, 'docs/screenshots'));
const fashionDir = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const haveFashion = existsSync(join(fashionDir, 't10k-images-idx3-ubyte.gz'));
mkdirSync(out, { recursive: true });

const service = await startLiveService({ tenant: 'screenshots' });
const browser = await launchChromium();
try {
  const headers = { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' };
  const submit = async (body) => {
    const response = await fetch(`${service.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (response.status !== 201) throw new Error(`submit: ${response.status} ${await response.text()}`);
    return (await response.json()).id;
  };
  const job = async (id) => (await fetch(`${service.url}/v1/jobs/${id}`, { headers })).json();
  const waitFor = async (id, predicate, what) => {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const current = await job(id);
      if (predicate(current)) return current;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const dataset = haveFashion ? 'fashion-mnist' : 'synthetic';
  const main = await submit({
    name: `LeNet-5 on ${dataset}`,
    model: { architecture: 'lenet5' },
    dataset: { builtin: dataset },
    hyperparameters: { epochs: haveFashion ? 4 : 6, batchSize: 64, validationSplit: 0.1, schedule: 'cosine', seed: 7 },
  });
  const cancelled = await submit({
    name: 'wrong learning rate',
    model: { architecture: 'lenet5' },
    dataset: { builtin: 'synthetic' },
    hyperparameters: { learningRate: 5 },
  });
  await fetch(`${service.url}/v1/jobs/${cancelled}/cancel`, { method: 'POST', headers: { authorization: headers.authorization } });
  await waitFor(main, (j) => j.status === 'succeeded' || j.status === 'failed', 'the main job');
  const quick = await submit({
    name: 'quick try',
    model: { architecture: 'lenet5' },
    dataset: { builtin: 'synthetic' },
    hyperparameters: { epochs: 2 },
  });
  await waitFor(quick, (j) => j.status === 'succeeded', 'the quick job');
  const long = await submit({
    name: 'longer run',
    model: { architecture: 'lenet5' },
    dataset: { builtin: 'synthetic' },
    hyperparameters: { epochs: 30 },
  });
  await submit({ name: 'next in line', model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' } });

  if (haveFashion) {
    const form = new FormData();
    form.append('name', 'fashion-mnist test set');
    form.append('images', new Blob([readFileSync(join(fashionDir, 't10k-images-idx3-ubyte.gz'))]), 't10k-images-idx3-ubyte.gz');
    form.append('labels', new Blob([readFileSync(join(fashionDir, 't10k-labels-idx1-ubyte.gz'))]), 't10k-labels-idx1-ubyte.gz');
    const uploaded = await fetch(`${service.url}/v1/datasets`, {
      method: 'POST',
      headers: { authorization: headers.authorization },
      body: form,
    });
    if (uploaded.status !== 201) throw new Error(`upload: ${uploaded.status} ${await uploaded.text()}`);
  }

  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(service.url);
  await page.fill('[data-testid=api-key]', service.key);
  await page.click('[data-testid=sign-in]');
  await page.waitForSelector('h1:has-text("Jobs")');
  await waitFor(long, (j) => j.status === 'running' && j.progress && j.progress.epoch >= 8, 'the long job to be under way');
  await page.waitForSelector(`tr[data-job-id="${long}"][data-status=running]`);
  await page.waitForTimeout(600);
  await page.screenshot({ path: join(out, 'job-list.png') });

  await page.goto(`${service.url}/#/jobs/${main}`);
  await page.waitForSelector('[data-testid=samples] .sample.right, [data-testid=samples] .sample.wrong', { timeout: 60_000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, 'job-page.png'), fullPage: true });
  await page.locator('[data-testid=evaluation]').screenshot({ path: join(out, 'evaluation.png') });

  const firstSample = page.locator('[data-testid=samples] .sample.right').nth(6);
  await firstSample.click();
  await page.waitForSelector('[data-testid=predictions] li');
  await page.locator('[data-testid=try-model]').screenshot({ path: join(out, 'try-the-model.png') });

  await page.goto(`${service.url}/#/jobs/${long}`);
  await page.waitForSelector('[data-testid=charts] path[data-series="train (batch)"]');
  await page.waitForTimeout(2500);
  await page.screenshot({ path: join(out, 'job-running.png') });

  await page.goto(`${service.url}/#/jobs/new`);
  await page.waitForSelector('[data-testid=submit-form]');
  await page.selectOption('[data-testid=architecture]', 'resnet18');
  await page.screenshot({ path: join(out, 'submit-form.png'), fullPage: true });

  if (haveFashion) {
    await page.goto(`${service.url}/#/datasets`);
    await page.click('table a');
    await page.waitForSelector('.samples .sample canvas', { timeout: 60_000 });
    await page.screenshot({ path: join(out, 'dataset.png'), fullPage: true });
  }
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
  await service.close();
}
