/**
 * Pretrained weights as a tenant resource: upload (real torch.save files made by python3-torch),
 * inspection off the event loop, listing, jobs that start from them, delete refused while a job uses
 * them, and hostile files refused with nothing left behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type TestApi } from './helpers.js';
import { multipart, type Part } from './dataset-files.js';
import { databaseInternals } from '@trainyard/db/testing';

let api: TestApi;
let auth: { authorization: string };
const uploadTmp = mkdtempSync(join(tmpdir(), 'trainyard-weights-tmp-'));
const files = mkdtempSync(join(tmpdir(), 'trainyard-weights-files-'));

/**
 * Files written by Debian's python3-torch: seeded resnet18 state_dicts in the zip format (10 classes)
 * and the legacy format (1000 classes), and a pickle whose loading would run os.system.
 */
const MAKE_FILES = `
import os, sys, torch, torchvision
out = sys.argv[1]
torch.manual_seed(0)
torch.save(torchvision.models.resnet18(num_classes=10).state_dict(), os.path.join(out, 'resnet18.pth'))
torch.save(torchvision.models.resnet18().state_dict(), os.path.join(out, 'resnet18-legacy.pth'), _use_new_zipfile_serialization=False)
class Hostile:
    def __reduce__(self):
        return (os.system, ('touch ' + os.path.join(out, 'pwned'),))
torch.save({'conv1.weight': Hostile()}, os.path.join(out, 'hostile.pth'))
`;

/** Debian's python3 with python3-torch and python3-torchvision (what .ci/run installs). */
const PYTHON = '/usr/bin/python3';
const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
// In CI the test must run: without PyTorch it fails there (in before) instead of skipping.
const skip =
  !torchAvailable && process.env.CI !== 'true'
    ? 'needs python3-torch and python3-torchvision (apt-get install python3-torch python3-torchvision)'
    : false;

before(async () => {
  if (skip) return;
  execFileSync(PYTHON, ['-c', MAKE_FILES, files], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 180_000 });
  api = await startTestApi({ UPLOAD_TMP_DIR: uploadTmp, UPLOAD_LIMIT: '64mb' });
  auth = await api.authFor('weights');
});
after(async () => {
  await api?.close();
  rmSync(uploadTmp, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
});

function upload(parts: Part[]) {
  const body = multipart(parts);
  return api.app.inject({ method: 'POST', url: '/v1/weights', headers: { ...auth, ...body.headers }, payload: body.payload });
}

const file = (name: string, data: Buffer): Part => ({ name: 'file', file: { filename: name, data } });
const field = (name: string, value: string): Part => ({ name, value });

function submit(payload: Record<string, unknown>) {
  return api.app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...auth, 'content-type': 'application/json' }, payload });
}

async function assertNothingLeft(): Promise<void> {
  assert.equal(await databaseInternals(api.db).prisma.weights.count({ where: { status: 'uploading' } }), 0, 'no uploading rows');
  const stored = (await api.storage.list('weights/')).length;
  assert.equal(
    stored,
    await databaseInternals(api.db).prisma.weights.count({ where: { status: 'ready' } }),
    'storage holds exactly the files of ready weights',
  );
  assert.deepEqual(readdirSync(uploadTmp), [], 'temporary files removed');
}

describe('POST /v1/weights', { skip }, () => {
  test('a torch.save file is inspected, stored, listed, used by a job, and deletable once the job is gone', async () => {
    const res = await upload([
      field('architecture', 'resnet18'),
      file('resnet18.pth', readFileSync(join(files, 'resnet18.pth'))),
      field('name', 'my resnet'),
    ]);
    assert.equal(res.statusCode, 201, res.body);
    const weights = res.json();
    assert.equal(res.headers.location, `/v1/weights/${weights.id}`);
    assert.deepEqual(
      {
        name: weights.name,
        architecture: weights.architecture,
        format: weights.format,
        classes: weights.classes,
        tensors: weights.tensors,
        parameters: weights.parameters,
      },
      // torchvision's resnet18 with 10 classes: 102 tensors (20 batch norms with num_batches_tracked), 11,181,642 parameters.
      { name: 'my resnet', architecture: 'resnet18', format: 'torch-zip', classes: 10, tensors: 122, parameters: 11_181_642 },
    );
    assert.equal(weights.bytes, readFileSync(join(files, 'resnet18.pth')).length);
    assert.equal(typeof weights.createdAt, 'string');
    await assertNothingLeft();

    const legacy = await upload([
      file('resnet18-legacy.pth', readFileSync(join(files, 'resnet18-legacy.pth'))),
      field('architecture', 'resnet18'),
    ]);
    assert.equal(legacy.statusCode, 201, legacy.body);
    assert.deepEqual([legacy.json().format, legacy.json().classes, legacy.json().name], ['torch-legacy', 1000, 'resnet18-legacy.pth']);

    assert.deepEqual((await api.app.inject({ method: 'GET', url: `/v1/weights/${weights.id}`, headers: auth })).json(), weights);
    const first = (await api.app.inject({ method: 'GET', url: '/v1/weights?limit=1', headers: auth })).json();
    assert.deepEqual(
      first.weights.map((w: { id: string }) => w.id),
      [legacy.json().id],
      'newest first',
    );
    const second = (await api.app.inject({ method: 'GET', url: `/v1/weights?limit=1&cursor=${first.nextCursor}`, headers: auth })).json();
    assert.deepEqual([second.weights.map((w: { id: string }) => w.id), second.nextCursor], [[weights.id], null]);
    const stranger = await api.authFor('stranger');
    assert.equal((await api.app.inject({ method: 'GET', url: `/v1/weights/${weights.id}`, headers: stranger })).statusCode, 404);
    assert.deepEqual((await api.app.inject({ method: 'GET', url: '/v1/weights', headers: stranger })).json().weights, []);

    const job = await submit({
      model: { architecture: 'resnet18', pretrained: { weightsId: weights.id }, freeze: 'backbone' },
      dataset: { builtin: 'synthetic', imageSize: [64, 64], channels: 3 },
      hyperparameters: { epochs: 2, unfreezeAtEpoch: 2 },
    });
    assert.equal(job.statusCode, 201, job.body);
    assert.equal(job.json().spec.hyperparameters.normalize, 'imagenet', 'pretrained weights default to ImageNet normalisation');
    assert.deepEqual(job.json().spec.model.pretrained, { weightsId: weights.id });

    const refused = await api.app.inject({ method: 'DELETE', url: `/v1/weights/${weights.id}`, headers: auth });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'weights_in_use');
    await api.app.inject({ method: 'POST', url: `/v1/jobs/${job.json().id}/cancel`, headers: auth });
    assert.equal((await api.app.inject({ method: 'DELETE', url: `/v1/weights/${weights.id}`, headers: auth })).statusCode, 204);
    assert.equal((await api.app.inject({ method: 'GET', url: `/v1/weights/${weights.id}`, headers: auth })).statusCode, 404);
    assert.equal((await api.storage.list(`weights/${weights.id}/`)).length, 0, 'its file is gone');
  });

  test('a job names weights of its own architecture, without smallInput, on 3-channel images, and not with fineTuneFrom', async () => {
    const res = await upload([field('architecture', 'resnet18'), file('resnet18.pth', readFileSync(join(files, 'resnet18.pth')))]);
    const weightsId = res.json().id as string;
    const base = {
      model: { architecture: 'resnet18', pretrained: { weightsId } },
      dataset: { builtin: 'synthetic', channels: 3, imageSize: [64, 64] },
    };
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      [
        'another architecture',
        { ...base, model: { architecture: 'resnet34', pretrained: { weightsId } } },
        422,
        'fine_tune_source_invalid',
      ],
      ['smallInput', { ...base, model: { ...base.model, options: { smallInput: true } } }, 422, 'fine_tune_source_invalid'],
      ['grey images', { ...base, dataset: { builtin: 'synthetic', imageSize: [64, 64] } }, 422, 'fine_tune_source_invalid'],
      [
        'unknown weights',
        { ...base, model: { architecture: 'resnet18', pretrained: { weightsId: '00000000-0000-4000-8000-000000000000' } } },
        404,
        'not_found',
      ],
      ['both pretrained and fineTuneFrom', { ...base, fineTuneFrom: '00000000-0000-4000-8000-000000000000' }, 400, 'validation_failed'],
      ['a prefix list that is empty', { ...base, model: { ...base.model, freeze: [] } }, 400, 'validation_failed'],
    ];
    for (const [name, body, status, code] of cases) {
      const answer = await submit(body);
      assert.equal(answer.statusCode, status, `${name}: ${answer.body}`);
      assert.equal(answer.json().error.code, code, name);
    }
    const explicit = await submit({ ...base, hyperparameters: { normalize: 'dataset' } });
    assert.equal(explicit.json().spec.hyperparameters.normalize, 'dataset', 'an explicit normalisation is kept');
  });

  test('hostile and wrong files are refused with their codes and leave nothing behind', async () => {
    const resnet = readFileSync(join(files, 'resnet18.pth'));
    const cases: Array<[string, Part[], number, string]> = [
      [
        'a pickle that calls os.system',
        [field('architecture', 'resnet18'), file('hostile.pth', readFileSync(join(files, 'hostile.pth')))],
        422,
        'weights_unsafe',
      ],
      ['resnet18 weights said to be resnet34', [field('architecture', 'resnet34'), file('resnet18.pth', resnet)], 422, 'weights_mismatch'],
      [
        'a truncated zip',
        [field('architecture', 'resnet18'), file('cut.pth', resnet.subarray(0, resnet.length >> 1))],
        422,
        'weights_malformed',
      ],
      [
        'not a weights file',
        [field('architecture', 'resnet18'), file('notes.txt', Buffer.from('hello'.repeat(100)))],
        422,
        'weights_malformed',
      ],
      ['an empty file', [field('architecture', 'resnet18'), file('empty.pth', Buffer.alloc(0))], 422, 'weights_malformed'],
      ['no architecture', [file('resnet18.pth', resnet)], 400, 'validation_failed'],
      ['an unknown architecture', [field('architecture', 'resnet19'), file('resnet18.pth', resnet)], 400, 'unknown_architecture'],
      [
        'an architecture without torchvision weights',
        [field('architecture', 'lenet5'), file('resnet18.pth', resnet)],
        400,
        'invalid_option',
      ],
      ['two files', [field('architecture', 'resnet18'), file('a.pth', resnet), file('b.pth', resnet)], 400, 'validation_failed'],
      ['an unknown field', [field('architecture', 'resnet18'), field('format', 'pth'), file('a.pth', resnet)], 400, 'validation_failed'],
    ];
    const before = await databaseInternals(api.db).prisma.weights.count();
    for (const [name, parts, status, code] of cases) {
      const res = await upload(parts);
      assert.equal(res.statusCode, status, `${name}: ${res.body}`);
      assert.equal(res.json().error.code, code, name);
    }
    const mismatch = (await upload(cases[1]![1])).json();
    assert.ok(
      mismatch.error.details.tensors.some((t: { name: string }) => t.name === 'layer3.0.downsample.0.weight' || t.name.startsWith('layer')),
      JSON.stringify(mismatch.error.details).slice(0, 300),
    );
    assert.equal(await databaseInternals(api.db).prisma.weights.count(), before, 'no row');
    assert.deepEqual(readdirSync(files).includes('pwned'), false, 'the pickle never ran');
    await assertNothingLeft();
  });
});
