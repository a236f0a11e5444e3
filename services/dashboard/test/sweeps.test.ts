/**
 * The sweep pages in a real headless Chromium against the real service (API and worker processes):
 * an ASHA sweep of three LeNet-5 trials on the synthetic set runs to its end, then the list leads to
 * its page, which shows the best trial, the leaderboard with the trials ASHA pruned and at which
 * rung, and each hyperparameter against the metric as a scatter plot of every trial.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { SweepView } from '@trainyard/client';
import { chromiumMissing, launchChromium } from './chromium.js';
import { startLiveService, type LiveService } from '@trainyard/cli/testing';

const missing = chromiumMissing();

describe('the sweep pages in Chromium', { skip: missing ?? false }, () => {
  let service: LiveService;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  before(async () => {
    service = await startLiveService({ tenant: 'sweep-page-test' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    // Any error the page logs or throws fails the test at its end.
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('console', (message) => void (message.type() === 'error' && consoleErrors.push(message.text())));
  });
  after(async () => {
    await browser?.close();
    await service?.close();
  });

  async function call<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${service.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${service.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as T;
  }

  test('an ASHA sweep: leaderboard, pruned trials by rung, a scatter plot per hyperparameter', async () => {
    const submitted = await call<SweepView>('/v1/sweeps', {
      name: 'page sweep',
      base: {
        dataset: { builtin: 'synthetic' },
        model: { architecture: 'lenet5' },
        hyperparameters: { validationSplit: 0.25, batchSize: 256 },
      },
      space: {
        'hyperparameters.optimizer': { type: 'choice', values: ['sgd', 'adam'] },
        'hyperparameters.learningRate': { type: 'logUniform', min: 0.001, max: 0.05 },
      },
      searcher: { type: 'asha', trials: 3, seed: 2, maxEpochs: 2 },
      metric: 'validationAccuracy',
    });
    let sweep = submitted;
    for (let waited = 0; sweep.status === 'running'; waited += 1000) {
      assert.ok(waited < 600_000, 'the sweep ends within 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      sweep = await call<SweepView>(`/v1/sweeps/${submitted.id}`);
    }
    assert.equal(sweep.status, 'succeeded', JSON.stringify(sweep));

    await page.goto(service.url);
    await page.fill('[data-testid=api-key]', service.key);
    await page.click('[data-testid=sign-in]');
    await page.waitForSelector('h1:has-text("Jobs")');
    await page.click('header nav a:has-text("Sweeps")');
    await page.click(`tr.sweep-row[data-sweep-id="${sweep.id}"] a`);
    await page.waitForSelector('[data-testid=sweep][data-status=succeeded]');

    assert.equal(await page.textContent('h1'), 'page sweep');
    assert.match((await page.textContent('[data-testid=best]')) ?? '', new RegExp(`trial ${sweep.best!.trial}:`));
    // The leaderboard, best first, as the API ranks it; pruned trials say at which rung.
    const rows = page.locator('[data-testid=leaderboard] tbody tr');
    assert.equal(await rows.count(), 3);
    for (const [index, entry] of sweep.leaderboard.entries()) {
      const row = rows.nth(index);
      assert.equal(await row.getAttribute('data-trial'), String(entry.trial));
      assert.equal(await row.getAttribute('data-pruned-at'), entry.prunedAtRung === null ? '' : String(entry.prunedAtRung));
      if (entry.prunedAtRung !== null) assert.match((await row.textContent()) ?? '', /pruned at rung 1/);
    }
    const pruned = sweep.leaderboard.filter((entry) => entry.prunedAtRung !== null).map((entry) => entry.trial);
    const rungs = (await page.textContent('[data-testid=rungs]')) ?? '';
    if (pruned.length > 0) assert.match(rungs, new RegExp(`rung 1 \\(after 1 epoch\\): trials ${pruned.sort((a, b) => a - b).join(', ')}`));
    else assert.match(rungs, /No trial was stopped/);
    // One scatter plot per hyperparameter, one point per trial.
    for (const path of ['hyperparameters.learningRate', 'hyperparameters.optimizer']) {
      const chart = page.locator(`[data-testid=scatter] svg[data-parameter="${path}"]`);
      assert.equal(await chart.locator('circle.point').count(), 3, path);
    }
    assert.match((await page.textContent('[data-testid=scatter]')) ?? '', /learningRate \(log scale\)/);

    // A trial's job page leads back to its sweep.
    await page.click(`[data-testid=leaderboard] tbody tr >> nth=0 >> a`);
    await page.waitForSelector('[data-testid=job-sweep]');
    await page.click('[data-testid=job-sweep]');
    await page.waitForSelector('[data-testid=leaderboard]');
    assert.deepEqual(consoleErrors, []);
  });
});
