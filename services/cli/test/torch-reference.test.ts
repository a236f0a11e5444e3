/**
 * The project's own PyTorch reference (bench/torch_reference.py), which the benchmarks, the README and
 * the CLI's help point to: it runs, measures both memory layouts and reports the faster one; and no
 * text a user reads points outside the repository (the developers' folder beside it is not in a clone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_MAIN } from '../src/testing/live-service.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PYTHON = '/usr/bin/python3';

function hasTorch(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
}

test('bench/torch_reference.py throughput: the faster of NCHW and channels_last, medians after warm-up, as one JSON line', (t) => {
  if (!hasTorch()) {
    if (process.env.CI === 'true') assert.fail('python3-torch and python3-torchvision are missing: CI must install them');
    t.skip('python3-torch is not installed');
    return;
  }
  const run = spawnSync(
    PYTHON,
    [
      join(ROOT, 'bench/torch_reference.py'),
      'throughput',
      '--model',
      'lenet5',
      '--input',
      '28,28,1',
      '--batch',
      '8',
      '--warmup',
      '1',
      '--steps',
      '3',
    ],
    {
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  assert.equal(result.model, 'lenet5');
  assert.deepEqual(Object.keys(result.byMemoryFormat).sort(), ['channels_last', 'nchw']);
  for (const phase of ['train', 'eval'] as const) {
    const key = phase === 'train' ? 'trainImagesPerSec' : 'evalImagesPerSec';
    const best = Math.max(result.byMemoryFormat.nchw[phase], result.byMemoryFormat.channels_last[phase]);
    assert.equal(result[key], best, `${key} is the faster layout's`);
    assert.equal(result[key], result.byMemoryFormat[result.memoryFormat[phase]][phase]);
  }
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'results') return [];
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('the README, bench/ and the help of `trainyard bench` and `trainyard train` point to bench/torch_reference.py, never outside the repository', () => {
  const folder = 'shared'; // the developers' folder beside the repository
  const outside = new RegExp(`\\.\\./${folder}|/work/${folder}|${folder}/(bench|notes)`);
  for (const file of [join(ROOT, 'README.md'), ...filesUnder(join(ROOT, 'bench'))]) {
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, outside, `${file.slice(ROOT.length)} points outside the repository`);
  }
  for (const command of ['bench', 'train']) {
    const help = spawnSync(process.execPath, [CLI_MAIN, command, '--help'], { encoding: 'utf8' });
    const text = help.stdout + help.stderr;
    assert.match(text, /bench\/torch_reference\.py/, `trainyard ${command} --help names the reference`);
    assert.doesNotMatch(text, outside, `trainyard ${command} --help points outside the repository`);
  }
});
