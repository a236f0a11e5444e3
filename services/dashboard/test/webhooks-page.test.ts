/**
 * The dashboard's webhooks pages in a real headless Chromium against the real service: create a
 * webhook for a receiver on loopback (WEBHOOK_ALLOW_PRIVATE=true), see its secret once, watch a
 * delivery arrive with its attempt, rotate the secret, delete the webhook.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './chromium.js';
import { startEventReceiver, startLiveService, type EventReceiver, type LiveService } from '@trainyard/cli/testing';

const missing = chromiumMissing();

describe('the webhooks pages in Chromium', { skip: missing ?? false }, () => {
  let service: LiveService;
  let browser: Browser;
  let page: Page;
  let receiver: EventReceiver;
  const consoleErrors: string[] = [];

  before(async () => {
    receiver = await startEventReceiver('/events');
    [service, browser] = await Promise.all([
      startLiveService({ tenant: 'browser-webhooks', env: { WEBHOOK_ALLOW_PRIVATE: 'true' } }),
      launchChromium(),
    ]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('dialog', (dialog) => void dialog.accept());
  });
  after(async () => {
    await browser?.close();
    await service?.close();
    receiver?.close();
  });

  test('create shows the secret once; a delivery appears with its attempt; rotate; delete', async () => {
    await page.goto(service.url);
    await page.fill('[data-testid=api-key]', service.key);
    await page.click('[data-testid=sign-in]');
    await page.waitForSelector('h1:has-text("Jobs")');
    await page.click('header nav a:has-text("Webhooks")');
    await page.waitForSelector('[data-testid=webhook-form]');

    // A refused URL shows the API's error code.
    await page.fill('#webhook-url', 'ftp://127.0.0.1/');
    await page.click('[data-testid=create-webhook]');
    await page.waitForSelector('.error-box >> text=webhook_url_refused');

    await page.fill('#webhook-url', receiver.url);
    await page.fill('#webhook-description', 'from the browser');
    await page.check('#webhook-event-job\\.queued');
    await page.click('[data-testid=create-webhook]');
    const secret = (await page.locator('[data-testid=webhook-secret] pre').textContent())?.trim() ?? '';
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]{44}$/);
    await page.waitForSelector(`[data-testid=webhooks] a:has-text("${receiver.url}")`);
    assert.match(
      (await page.locator('[data-testid=webhooks] tbody tr').textContent()) ?? '',
      /job\.queued, job\.succeeded, job\.failed, job\.cancelled/,
    );

    const submitted = await fetch(`${service.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' }, hyperparameters: { epochs: 1 } }),
    });
    assert.equal(submitted.status, 201);
    const jobId = ((await submitted.json()) as { id: string }).id;

    await page.click(`[data-testid=webhooks] a:has-text("${receiver.url}")`);
    await page.waitForURL(/#\/webhooks\/[0-9a-f-]{36}$/);
    const row = page.locator('[data-testid=deliveries] tr[data-status=delivered]', { hasText: 'job.queued' });
    await row.waitFor({ timeout: 30_000 });
    assert.match((await row.textContent()) ?? '', /HTTP 200/);
    assert.equal(await row.locator(`a[href="#/jobs/${jobId}"]`).count(), 1, 'the delivery links to its job');
    assert.ok(receiver.received.some((event) => event.type === 'job.queued'));
    assert.equal(await page.locator('[data-testid=webhook-secret]').count(), 0, 'the secret is not shown again');

    await page.click('[data-testid=rotate-secret]');
    const rotated = (await page.locator('[data-testid=webhook-secret] pre').textContent())?.trim() ?? '';
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, secret);

    await page.click('a:has-text("← Webhooks")');
    await page.click('[data-testid=webhooks] button:has-text("Delete")');
    await page.waitForSelector('p.empty:has-text("No webhooks yet")');
    // The refused URL's answer only.
    assert.deepEqual(consoleErrors, ['Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)']);
  });
});
