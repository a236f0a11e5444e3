/** Dataset uploads through the real readers: the happy paths and hostile input. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, lenetJob, type TestApi } from './helpers.js';
import { idxImages, idxLabels, idxPair, multipart, png, tarGz, zip, type Part } from './dataset-files.js';
import { databaseInternals } from '@trainyard/db/testing';

let api: TestApi;
let auth: { authorization: string };
const uploadTmp = mkdtempSync(join(tmpdir(), 'trainyard-upload-tmp-'));

before(async () => {
  api = await startTestApi({ UPLOAD_TMP_DIR: uploadTmp, UPLOAD_LIMIT: '8mb' });
  auth = await api.authFor('datasets');
});
after(async () => {
  await api?.close();
  rmSync(uploadTmp, { recursive: true, force: true });
});

function upload(parts: Part[], headers: Record<string, string> = {}) {
  const body = multipart(parts);
  return api.app.inject({ method: 'POST', url: '/v1/datasets', headers: { ...auth, ...body.headers, ...headers }, payload: body.payload });
}

const file = (name: string, filename: string, data: Buffer): Part => ({ name, file: { filename, data } });

async function assertNothingLeft(): Promise<void> {
  assert.equal(
    await databaseInternals(api.db).prisma.dataset.count({ where: { tenant: { name: 'datasets' }, status: 'uploading' } }),
    0,
    'no uploading rows',
  );
  const datasetObjects = (await api.storage.list('datasets/')).length;
  const readyFiles = (await databaseInternals(api.db).prisma.dataset.findMany({ where: { status: 'ready' } })).reduce(
    (sum, d) => sum + (d.files as unknown[]).length,
    0,
  );
  assert.equal(datasetObjects, readyFiles, 'storage holds exactly the files of ready datasets');
  assert.deepEqual(readdirSync(uploadTmp), [], 'temporary files removed');
}

describe('POST /v1/datasets', () => {
  test('an IDX pair is validated, stored, described, usable by a job, and deletable', async () => {
    const { images, labels } = idxPair(40, 4);
    const res = await upload([
      file('images', 'train-images-idx3-ubyte', images),
      file('labels', 'train-labels-idx1-ubyte', labels),
      { name: 'name', value: 'tiny' },
    ]);
    assert.equal(res.statusCode, 201, res.body);
    const dataset = res.json();
    assert.equal(res.headers.location, `/v1/datasets/${dataset.id}`);
    assert.equal(dataset.name, 'tiny');
    assert.equal(dataset.format, 'idx');
    assert.deepEqual(dataset.inputShape, [28, 28, 1]);
    assert.equal(dataset.classNames.length, 4);
    assert.equal(dataset.trainSize + dataset.testSize, 40);
    assert.deepEqual(dataset.validation, { valid: true });
    assert.equal((await api.storage.list(`datasets/${dataset.id}/`)).length, 2);
    await assertNothingLeft();

    const got = await api.app.inject({ method: 'GET', url: `/v1/datasets/${dataset.id}`, headers: auth });
    assert.deepEqual(got.json(), dataset);
    const list = (await api.app.inject({ method: 'GET', url: '/v1/datasets', headers: auth })).json();
    assert.ok(list.datasets.some((d: { id: string }) => d.id === dataset.id));

    const job = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: lenetJob({ dataset: { id: dataset.id } }),
    });
    assert.equal(job.statusCode, 201, job.body);
    const tooSmall = await api.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: lenetJob({ model: { architecture: 'inception_v3' }, dataset: { id: dataset.id } }),
    });
    assert.equal(tooSmall.statusCode, 422, tooSmall.body);
    assert.equal(tooSmall.json().error.code, 'input_too_small');

    const refused = await api.app.inject({ method: 'DELETE', url: `/v1/datasets/${dataset.id}`, headers: auth });
    assert.equal(refused.statusCode, 409, 'a queued job uses it');
    assert.equal(refused.json().error.code, 'dataset_in_use');
    await api.app.inject({ method: 'POST', url: `/v1/jobs/${job.json().id}/cancel`, headers: auth });
    const deleted = await api.app.inject({ method: 'DELETE', url: `/v1/datasets/${dataset.id}`, headers: auth });
    assert.equal(deleted.statusCode, 204);
    assert.equal((await api.storage.list(`datasets/${dataset.id}/`)).length, 0);
    assert.equal((await api.app.inject({ method: 'GET', url: `/v1/datasets/${dataset.id}`, headers: auth })).statusCode, 404);
  });

  test('the format field is accepted after the files, and an image-folder zip is read', async () => {
    const entries = ['cat', 'dog'].flatMap((label, c) =>
      [0, 1, 2, 3, 4].map((i) => ({ name: `${label}/${i}.png`, data: png(8, 8, c * 120 + i) })),
    );
    const res = await upload([file('file', 'pets.zip', zip(entries)), { name: 'format', value: 'imagefolder' }]);
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().classNames, ['cat', 'dog']);
    assert.equal(res.json().format, 'imagefolder');
    await assertNothingLeft();
  });

  test('uploads over real HTTP are streamed (fetch + FormData on port 0)', async () => {
    const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { images, labels } = idxPair(20, 2, 8, 8);
    const form = new FormData();
    form.append('images', new Blob([new Uint8Array(images)]), 'train-images-idx3-ubyte');
    form.append('labels', new Blob([new Uint8Array(labels)]), 'train-labels-idx1-ubyte');
    const res = await fetch(`${address}/v1/datasets`, { method: 'POST', headers: auth, body: form });
    assert.equal(res.status, 201, await res.clone().text());
    assert.deepEqual(((await res.json()) as { inputShape: number[] }).inputShape, [8, 8, 1]);
  });

  const hostile: Array<[string, () => Part[], number, string]> = [
    ['no files at all', () => [{ name: 'format', value: 'idx' }], 400, 'validation_failed'],
    ['an unknown part', () => [file('weights', 'w.bin', Buffer.from('x'))], 400, 'validation_failed'],
    ['an unknown field', () => [{ name: 'colour', value: 'red' }], 400, 'validation_failed'],
    ['an invalid format', () => [{ name: 'format', value: 'parquet' }, file('file', 'a.bin', Buffer.from('x'))], 400, 'validation_failed'],
    ['images without labels', () => [file('images', 'train-images-idx3-ubyte', idxImages(10, 28, 28))], 400, 'validation_failed'],
    ['an empty file', () => [file('file', 'empty.bin', Buffer.alloc(0))], 422, 'dataset_invalid'],
    [
      'a truncated IDX images file',
      () => [
        file('images', 'train-images-idx3-ubyte', idxImages(10, 28, 28, 20)),
        file('labels', 'train-labels-idx1-ubyte', idxLabels([0, 1, 0, 1, 0, 1, 0, 1, 0, 1])),
      ],
      422,
      'dataset_malformed',
    ],
    [
      'labels that disagree with the images',
      () => [
        file('images', 'train-images-idx3-ubyte', idxImages(10, 28, 28)),
        file('labels', 'train-labels-idx1-ubyte', idxLabels([0, 1, 0, 1])),
      ],
      422,
      'dataset_malformed',
    ],
    [
      'a single class',
      () => [
        file('images', 'train-images-idx3-ubyte', idxImages(10, 28, 28)),
        file('labels', 'train-labels-idx1-ubyte', idxLabels(new Array(10).fill(3))),
      ],
      422,
      'dataset_malformed',
    ],
    [
      'an IDX pair with no images (0 classes)',
      () => [file('images', 'train-images-idx3-ubyte', idxImages(0, 28, 28)), file('labels', 'train-labels-idx1-ubyte', idxLabels([]))],
      422,
      'dataset_malformed',
    ],
    [
      'an image-folder zip without class folders (0 classes)',
      () => [
        file(
          'file',
          'flat.zip',
          zip([
            { name: '1.png', data: png(4, 4, 1) },
            { name: '2.png', data: png(4, 4, 2) },
          ]),
        ),
      ],
      422,
      'dataset_malformed',
    ],
    [
      'an image-folder zip with a single class',
      () => [
        file(
          'file',
          'cats.zip',
          zip([
            { name: 'cat/1.png', data: png(4, 4, 1) },
            { name: 'cat/2.png', data: png(4, 4, 2) },
          ]),
        ),
      ],
      422,
      'dataset_malformed',
    ],
    ['random bytes', () => [file('file', 'data.bin', Buffer.from('this is not a dataset at all'))], 422, 'dataset_malformed'],
    ['a lone image', () => [file('file', 'cat.png', png(8, 8, 1))], 415, 'dataset_unsupported'],
    [
      'a zip entry with ..',
      () => [
        file(
          'file',
          'evil.zip',
          zip([
            { name: 'cat/1.png', data: png(4, 4, 1) },
            { name: '../../etc/passwd.png', data: png(4, 4, 2) },
          ]),
        ),
      ],
      422,
      'dataset_unsafe_path',
    ],
    [
      'a zip entry with an absolute path',
      () => [file('file', 'abs.zip', zip([{ name: '/cat/1.png', data: png(4, 4, 1) }]))],
      422,
      'dataset_unsafe_path',
    ],
    [
      'a zip symlink',
      () => [
        file(
          'file',
          'link.zip',
          zip([
            { name: 'cat/1.png', data: png(4, 4, 1) },
            { name: 'dog/1.png', data: Buffer.from('/etc/passwd'), mode: 0o120777 },
          ]),
        ),
      ],
      422,
      'dataset_unsafe_path',
    ],
    [
      'a tar.gz symlink',
      () => [
        file(
          'file',
          'link.tar.gz',
          tarGz([
            { name: 'cat/1.png', data: png(4, 4, 1) },
            { name: 'dog/1.png', typeflag: '2', linkname: '/etc/passwd' },
          ]),
        ),
      ],
      422,
      'dataset_unsafe_path',
    ],
    [
      'files that claim to be images and are not',
      () => [
        file(
          'file',
          'fake.zip',
          zip([
            { name: 'cat/1.png', data: Buffer.from('not a png') },
            { name: 'dog/1.png', data: Buffer.from('nor this') },
          ]),
        ),
      ],
      422,
      'dataset_malformed',
    ],
    [
      'a zip bomb (an entry claiming 3 GB)',
      () => [
        file(
          'file',
          'bomb.zip',
          zip([
            { name: 'cat/1.png', data: Buffer.alloc(1024), declaredSize: 3_000_000_000 },
            { name: 'dog/1.png', data: png(4, 4, 1) },
          ]),
        ),
      ],
      413,
      'dataset_too_large',
    ],
    ['an upload over UPLOAD_LIMIT', () => [file('file', 'big.bin', Buffer.alloc(9 * 1024 * 1024, 1))], 413, 'upload_too_large'],
  ];
  for (const [what, parts, status, code] of hostile) {
    test(`refuses ${what}: ${status} ${code}, nothing left behind`, async () => {
      const res = await upload(parts());
      assert.equal(res.json().error?.code, code, `${what}: ${res.body}`);
      assert.equal(res.statusCode, status, `${what}: ${res.body}`);
      await assertNothingLeft();
    });
  }

  test('a JSON body is the wrong content type (415)', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{}',
    });
    assert.equal(res.statusCode, 415);
    assert.equal(res.json().error.code, 'unsupported_media_type');
  });

  test('an upload abandoned by a crash (row still uploading) is removed with its objects by the cleanup loop', async () => {
    const { cleanStaleUploads } = await import('../src/background/clean-stale-uploads.js');
    const tenant = await api.db.tenants.findByName('datasets');
    const id = '11111111-2222-4333-8444-555555555555';
    await api.db.datasets.createUploading({ id, tenantId: tenant!.id, name: 'half', storagePrefix: `datasets/${id}/` });
    await api.storage.put(`datasets/${id}/files/000-part`, 'half an upload');
    assert.equal(await cleanStaleUploads(api.deps, new Date()), 0, 'a recent upload may still be in progress');
    assert.equal(await cleanStaleUploads(api.deps, new Date(Date.now() + 7 * 3600_000)), 1);
    assert.equal(await api.db.datasets.get(id), null);
    assert.deepEqual(await api.storage.list(`datasets/${id}/`), []);
  });

  test('the service stays healthy after hostile uploads', async () => {
    assert.equal((await api.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  });
});
