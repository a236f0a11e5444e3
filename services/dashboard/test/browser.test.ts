/**
 * The dashboard in a real headless Chromium against the real service (API and worker processes,
 * Postgres, Redis, local storage): sign in, submit a LeNet-5 job on the synthetic dataset from the
 * form, watch it finish on the job page, see the curves, its log, the confusion matrix and the sample images
 * labelled by the model running in the page, classify a drawn image and a sample image, download the
 * model, and upload a dataset to see its classes and sample images; then the workers view; then tick
 * two jobs in the list and compare them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { chromiumMissing, launchChromium } from './chromium.js';
import { encodePng, startLiveService, type LiveService } from '@trainyard/cli/testing';

/** An IDX pair (MNIST format) of `count` 28x28 images with labels cycling over `classes`. */
function idxPair(count: number, classes: number): { images: Buffer; labels: Buffer } {
  const images = Buffer.alloc(16 + count * 28 * 28);
  images.writeUInt32BE(0x803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(28, 8);
  images.writeUInt32BE(28, 12);
  for (let i = 16; i < images.length; i++) images[i] = (i * 37) % 256;
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(count, 4);
  for (let i = 0; i < count; i++) labels[8 + i] = i % classes;
  return { images, labels };
}

const missing = chromiumMissing();

describe('the dashboard in Chromium', { skip: missing ?? false }, () => {
  let service: LiveService;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  before(async () => {
    [service, browser] = await Promise.all([startLiveService({ tenant: 'browser-test' }), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await service?.close();
  });

  test('sign in, submit LeNet-5 on synthetic, watch it finish, see the curves, classify images', async () => {
    await page.goto(service.url);
    // A wrong key is refused with the API's own error code.
    await page.fill('[data-testid=api-key]', 'ty_not-a-real-key-000000000000');
    await page.click('[data-testid=sign-in]');
    await page.waitForSelector('.error-box >> text=unauthorized');
    await page.fill('[data-testid=api-key]', service.key);
    await page.click('[data-testid=sign-in]');
    await page.waitForSelector('h1:has-text("Jobs")');

    // The form comes from the API: the catalog with parameter counts, the hyperparameter table from OpenAPI.
    await page.click('a:has-text("New job")');
    await page.waitForSelector('[data-testid=submit-form]');
    const lenet = await page.locator('[data-testid=architecture] option[value=lenet5]').textContent();
    assert.match(lenet ?? '', /lenet5 — 62,006 parameters/);
    assert.equal(await page.inputValue('#hp-epochs'), '5'); // the CNN package's default
    await page.selectOption('[data-testid=architecture]', 'lenet5');
    await page.selectOption('[data-testid=dataset]', 'builtin:synthetic');
    await page.fill('#job-name', 'browser test');
    await page.fill('#hp-epochs', '2');
    await page.fill('#hp-validationSplit', '0.1');
    // Objects are real controls, not JSON text: a switch for horizontal flips, early stopping behind "on".
    assert.equal(await page.locator('#hp-augmentation-horizontalFlip[type=checkbox]').count(), 1);
    assert.equal(await page.isChecked('#hp-earlyStopping-on'), false);
    await page.check('#hp-augmentation-horizontalFlip');
    await page.check('#hp-earlyStopping-on');
    await page.fill('#hp-earlyStopping-patience', '4');
    // The transfer-learning fields: pretrained weights (none uploaded here), frozen layers, how the data is read.
    assert.deepEqual(await page.locator('[data-testid=pretrained] option').allTextContents(), ['none: random initialisation']);
    assert.equal(await page.inputValue('[data-testid=freeze]'), 'none');
    assert.equal(await page.inputValue('[data-testid=channels]'), '');
    await page.click('[data-testid=submit]');

    // The job page follows the job live until it succeeds.
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
    const jobId = page.url().split('/').at(-1)!;
    const submitted = await (
      await fetch(`${service.url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${service.key}` } })
    ).json();
    assert.deepEqual(submitted.spec.hyperparameters.augmentation, { randomCropPadding: 0, horizontalFlip: true });
    assert.deepEqual(submitted.spec.hyperparameters.earlyStopping, { patience: 4, minDelta: 0 });
    await page.waitForSelector('.job-header .badge.status-succeeded', { timeout: 90_000 }).catch((error) => {
      throw new Error(`${error.message}\nworker:\n${service.worker.tail()}`);
    });

    // The log panel followed the job's log to its end: the attempt, the engine, each epoch, how it ended.
    await page.waitForSelector('[data-testid=log-lines] .log-line:has-text("job succeeded")', { timeout: 30_000 });
    const logText = (await page.locator('[data-testid=log-lines]').textContent()) ?? '';
    assert.match(logText, /attempt 1 started on worker/);
    assert.match(logText, /engine \S+ on (cpu|gpu)/);
    assert.match(logText, /epoch 2 done in/);

    // Curves: per-batch lines from the event stream and per-epoch points from the metrics.
    await page.waitForSelector('[data-testid=charts] path[data-series="train (batch)"]');
    const batchPath = await page.getAttribute('[data-testid=charts] svg:first-child path[data-series="train (batch)"]', 'd');
    assert.ok((batchPath?.split('L').length ?? 0) >= 2, `a per-batch loss line: ${batchPath}`);
    assert.equal(
      await page.locator('[data-testid=charts] svg:nth-child(2) circle').count(),
      4,
      'train and validation accuracy for 2 epochs',
    );
    assert.equal(await page.locator('table.epochs tbody tr').count(), 2);

    // Evaluation: the confusion matrix holds every test image once.
    await page.waitForSelector('[data-testid=evaluation] table.heatmap');
    const cells = await page.locator('table.heatmap tbody td').allTextContents();
    assert.equal(cells.length, 100);
    assert.equal(
      cells.reduce((sum, text) => sum + Number(text), 0),
      500,
    );
    assert.equal(await page.locator('table.per-class tbody tr').count(), 10);

    // Sample images labelled in the page by the model that TensorFlow.js loaded from the API.
    await page.waitForSelector('[data-testid=samples] .sample.right, [data-testid=samples] .sample.wrong', { timeout: 30_000 });
    const summary = await page.locator('p:has-text("labels")').textContent();
    const [, correct, total] = /labels (\d+) of (\d+)/.exec(summary ?? '') ?? [];
    assert.equal(Number(total), 40);
    // The page runs the model the service trained: each sample's label in the page is the service's own
    // prediction for the same pixels (POST /v1/jobs/{id}/predict). WebGL and oneDNN round differently, so a
    // near tie may flip one or two; how many the model gets right depends on the machine's kernels, not the page.
    const headers = { authorization: `Bearer ${service.key}` };
    const sampleSet = (await (await fetch(`${service.url}/v1/jobs/${jobId}/samples`, { headers })).json()) as {
      inputShape: [number, number, number];
      classNames: string[];
      samples: { label: number; pixels: string }[];
    };
    const [height, width, channels] = sampleSet.inputShape;
    const instances = sampleSet.samples.map(({ pixels }) => {
      const bytes = Buffer.from(pixels, 'base64');
      return Array.from({ length: height }, (_, y) =>
        Array.from({ length: width }, (_, x) => Array.from({ length: channels }, (_, c) => bytes[(y * width + x) * channels + c]! / 255)),
      );
    });
    const predictResponse = await fetch(`${service.url}/v1/jobs/${jobId}/predict?top=1`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ instances }),
    });
    assert.equal(predictResponse.status, 200);
    const { predictions } = (await predictResponse.json()) as { predictions: { top: { class: string }[] }[] };
    const serviceLabels = predictions.map((prediction) => prediction.top[0]!.class);
    const pageLabels = (await page.locator('[data-testid=samples] .sample .predicted').allTextContents()).map(
      (text) => /^predicted: (\S+)/.exec(text)?.[1],
    );
    const agreeing = pageLabels.filter((label, i) => label === serviceLabels[i]).length;
    assert.ok(agreeing >= 38, `the page and the service label the samples alike: ${agreeing} of 40\n${pageLabels}\n${serviceLabels}`);
    const serviceCorrect = sampleSet.samples.filter(({ label }, i) => serviceLabels[i] === sampleSet.classNames[label]).length;
    assert.ok(Math.abs(serviceCorrect - Number(correct)) <= 40 - agreeing, `${summary}; the service: ${serviceCorrect} of 40`);
    assert.ok(Number(correct) >= 12, `the trained model beats chance (4 of 40) by far: ${summary}`);

    // Try the model: a drawn stroke, then a sample image clicked into the canvas.
    const canvas = page.locator('[data-testid=draw-canvas]');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + 80, box.y + 60);
    await page.mouse.down();
    await page.mouse.move(box.x + 140, box.y + 220, { steps: 8 });
    await page.mouse.move(box.x + 200, box.y + 60, { steps: 8 });
    await page.mouse.up();
    await page.waitForSelector('[data-testid=predictions] li');
    assert.equal(await page.locator('[data-testid=predictions] li').count(), 5);
    const firstRight = page.locator('[data-testid=samples] .sample.right').first();
    const trueLabel = (await firstRight.locator('.true-label').textContent())!.replace('true: ', '');
    await firstRight.click();
    await page.waitForFunction(
      (expected) => document.querySelector('[data-testid=predictions] li .prediction-name')?.textContent === expected,
      trueLabel,
    );

    // Predict with the service: two image files sent to POST /v1/jobs/{id}/predict, one row each.
    const gray = (seed: number) =>
      encodePng(
        28,
        28,
        1,
        Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * seed * 7) & 255),
      );
    await page.locator('[data-testid=predict]').scrollIntoViewIfNeeded();
    await page.setInputFiles('[data-testid=predict-files]', [
      { name: 'first.png', mimeType: 'image/png', buffer: gray(1) },
      { name: 'second.png', mimeType: 'image/png', buffer: gray(2) },
    ]);
    await page.fill('[data-testid=predict-top]', '3');
    await page.click('[data-testid=predict-button]');
    await page.waitForSelector('[data-testid=predict-results] tbody tr');
    const predicted = await page.locator('[data-testid=predict-results] tbody tr').allTextContents();
    assert.equal(predicted.length, 2);
    assert.match(predicted[0]!, /^first\.png(class_\d \d+\.\d%, ){2}class_\d \d+\.\d%$/);

    // The model downloads as a .tar.gz (fetched with the key, saved from a blob).
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-model]')]);
    assert.equal(download.suggestedFilename(), `${jobId}.tar.gz`);
    const archive = await download.createReadStream();
    const head: Buffer = await new Promise((resolve) => archive.once('data', resolve));
    assert.deepEqual([...head.subarray(0, 2)], [0x1f, 0x8b]);

    // The job list shows it finished, with a full progress bar.
    await page.click('header a:has-text("Jobs")');
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'succeeded');
    assert.equal(await row.locator('[role=progressbar]').getAttribute('aria-valuenow'), '100');

    // Upload a dataset (an IDX pair) and see its classes and sample images.
    await page.click('header a:has-text("Datasets")');
    await page.selectOption('#upload-kind', 'idx');
    const { images, labels } = idxPair(60, 3);
    await page.setInputFiles('#upload-images', { name: 'train-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: images });
    await page.setInputFiles('#upload-labels', { name: 'train-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: labels });
    await page.fill('#upload-name', 'three classes');
    await page.click('.upload-form button[type=submit]');
    await page.waitForSelector('h1:has-text("three classes")');
    assert.equal(await page.locator('.card table tbody tr').count(), 3);
    await page.waitForSelector('.samples .sample canvas');
    assert.equal(await page.locator('.samples .sample').count(), 12);

    // The only failed request is the deliberate wrong key at the start.
    assert.deepEqual(consoleErrors, ['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  });

  test('the workers view shows what GET /v1/workers answers: each live worker, its class, engine, device and load', async () => {
    if (!(await page.locator('header a:has-text("Workers")').count())) {
      await page.goto(service.url);
      await page.fill('[data-testid=api-key]', service.key);
      await page.click('[data-testid=sign-in]');
    }
    await page.click('header a:has-text("Workers")');
    await page.waitForSelector('[data-testid=workers] tbody tr.worker-row');
    const response = await fetch(`${service.url}/v1/workers`, { headers: { authorization: `Bearer ${service.key}` } });
    const { workers } = (await response.json()) as {
      workers: Array<{ id: string; engine: string; device: { kind: string; name: string }; accelerator: string; runningJobs: number }>;
    };
    assert.ok(workers.length >= 1, 'the live service runs a worker');
    const rows = page.locator('[data-testid=workers] tbody tr.worker-row');
    assert.equal(await rows.count(), workers.length);
    for (const worker of workers) {
      const row = page.locator(`tr.worker-row[data-worker-id="${worker.id}"]`);
      const cells = await row.locator('td').allTextContents();
      assert.equal(cells[0], worker.id);
      assert.equal(cells[1], worker.accelerator);
      assert.equal(cells[2], worker.engine);
      assert.equal(cells[3], `${worker.device.name}computes on the ${worker.device.kind}`);
      assert.equal(cells[4], String(worker.runningJobs));
    }
    assert.equal(await page.getAttribute('header nav a.active', 'href'), '#/workers');
  });

  test('tick jobs in the list and compare them: their curves overlaid, one colour a job, where their specs differ', async () => {
    const headers = { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' };
    const spec = {
      name: 'higher lr',
      tags: { purpose: 'compare' },
      model: { architecture: 'lenet5' },
      dataset: { builtin: 'synthetic' },
      hyperparameters: { epochs: 1, validationSplit: 0.1, learningRate: 0.01 },
    };
    const second = await (await fetch(`${service.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify(spec) })).json();
    // The first test's job, whatever became of that test.
    const first = (await (await fetch(`${service.url}/v1/jobs?limit=100`, { headers })).json()).jobs.find(
      (job: { name: string }) => job.name === 'browser test',
    );
    assert.ok(first, 'the job the first test submitted');
    for (const id of [first.id, second.id]) {
      for (let waited = 0; ; waited += 500) {
        const { status } = await (await fetch(`${service.url}/v1/jobs/${id}`, { headers })).json();
        if (status === 'succeeded') break;
        if (status === 'failed' || status === 'cancelled' || waited > 300_000) throw new Error(`${status}\n${service.worker.tail()}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }

    if (!(await page.locator('header a:has-text("Jobs")').count())) {
      await page.goto(service.url);
      await page.fill('[data-testid=api-key]', service.key);
      await page.click('[data-testid=sign-in]');
    }
    await page.click('header a:has-text("Jobs")');
    const row = (id: string) => page.locator(`tr[data-job-id="${id}"]`);
    await row(second.id).waitFor();
    assert.equal(await row(second.id).locator('.tag').textContent(), 'purpose=compare');
    const compare = page.locator('[data-testid=compare-selected]');
    assert.equal(await compare.isDisabled(), true);
    await row(first.id).locator('[data-testid=select-job]').check();
    assert.equal(await compare.isDisabled(), true, 'one job is no comparison');
    await row(second.id).locator('[data-testid=select-job]').check();
    assert.equal(await compare.textContent(), 'Compare 2');
    // The list redraws every 2 s; the ticks stay, and ticking did not open the job.
    await page.waitForTimeout(2_500);
    assert.match(page.url(), /#\/jobs$/);
    assert.equal(await page.locator('[data-testid=select-job]:checked').count(), 2);
    await compare.click();

    await page.waitForURL(new RegExp(`#/compare\\?ids=${first.id},${second.id}$`));
    await page.waitForSelector('[data-testid=compare-charts] svg[data-metric=validationAccuracy]');
    const trainLoss = page.locator('[data-testid=compare-charts] svg[data-metric=trainLoss]');
    const colours = await trainLoss
      .locator('polyline')
      .evaluateAll((lines) => lines.map((line) => line.getAttribute('data-series') + ' ' + line.getAttribute('stroke')));
    assert.equal(colours.length, 2, colours.join(', '));
    assert.match(colours[0]!, /^browser test #/);
    assert.match(colours[1]!, /^higher lr #/);
    assert.notEqual(colours[0]!.split(' ').at(-1), colours[1]!.split(' ').at(-1));
    assert.equal(await trainLoss.locator('circle').count(), 3, 'two epochs of the first job, one of the second, on one epoch axis');
    const rates = await page.locator('[data-testid=compare-table] td[data-path="hyperparameters.learningRate"]').allTextContents();
    assert.deepEqual(rates, ['0.001', '0.01']);
    assert.equal(await page.locator('[data-testid=compare-table] td[data-path="hyperparameters.epochs"]').count(), 2);
    assert.deepEqual(consoleErrors, ['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  });
});
