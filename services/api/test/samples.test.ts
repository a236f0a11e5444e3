/**
 * Sample test images (GET /v1/jobs/{id}/samples, GET /v1/datasets/{id}/samples): read with the CNN
 * package's readers from the same test split the worker evaluates on, a few per class, tenant-scoped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openBuiltinDataset } from '@trainyard/cnn/data';
import { datasetKeys } from '@trainyard/storage';
import { lenetJob, startTestApi, type TestApi } from './helpers.js';
import { idxPair, multipart } from './dataset-files.js';

describe('sample images', () => {
  let api: TestApi;
  let headers: Record<string, string>;
  before(async () => {
    api = await startTestApi();
    headers = await api.authFor('samples-tenant');
  });
  after(async () => api.close());

  test("a job's samples are its dataset's test images, four per class, with their true labels", async () => {
    const { id } = (await api.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: lenetJob() })).json();
    const res = await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}/samples`, headers });
    assert.equal(res.statusCode, 200);
    const set = res.json();
    assert.deepEqual(set.inputShape, [28, 28, 1]);
    assert.equal(set.classNames.length, 10);
    assert.equal(set.samples.length, 40);
    const dataset = await openBuiltinDataset('synthetic');
    for (const sample of set.samples.slice(0, 5)) {
      const pixels = Buffer.from(sample.pixels, 'base64');
      assert.equal(pixels.length, 28 * 28);
      const expected = dataset.test.read([sample.index]);
      assert.equal(sample.label, expected.y[0]);
      assert.equal(pixels[400], Math.round(expected.x[400]! * 255));
    }
    const other = await api.authFor('samples-other');
    assert.equal((await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}/samples`, headers: other })).statusCode, 404);
  });

  test("an uploaded dataset's samples are computed once and kept in storage", async () => {
    const { images, labels } = idxPair(60, 3);
    const body = multipart([
      { name: 'images', file: { filename: 'train-images-idx3-ubyte', data: images } },
      { name: 'labels', file: { filename: 'train-labels-idx1-ubyte', data: labels } },
    ]);
    const uploaded = await api.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { ...headers, ...body.headers },
      payload: body.payload,
    });
    assert.equal(uploaded.statusCode, 201, uploaded.body);
    const { id } = uploaded.json();
    const res = await api.app.inject({ method: 'GET', url: `/v1/datasets/${id}/samples`, headers });
    assert.equal(res.statusCode, 200, res.body);
    const set = res.json();
    assert.equal(set.classNames.length, 3);
    assert.deepEqual([...new Set(set.samples.map((s: { label: number }) => s.label))], [0, 1, 2]);
    assert.ok(await api.storage.head(`${datasetKeys(id).root}samples.json`));
    const again = await api.app.inject({ method: 'GET', url: `/v1/datasets/${id}/samples`, headers });
    assert.deepEqual(again.json(), set);
  });
});
