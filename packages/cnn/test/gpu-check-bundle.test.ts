/**
 * The GPU check bundle (`npm run build:gpu-check`, bench/gpu/check.sh) runs from its two files alone:
 * copied into an empty folder, run with an empty environment and a PATH that has no node (only the
 * shell tools check.sh uses), it must print one JSON line with throughput on webgpu (CI's llvmpipe
 * adapter) and on its CPU engine, and report PyTorch+CUDA as skipped where CUDA is absent. One small
 * model and few steps here: the full check is for GPU machines (bench/README.md).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, test } from 'node:test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'trainyard-gpu-check-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The tools check.sh calls, and nothing else (no node, no npm). */
const TOOLS = ['bash', 'env', 'dirname', 'basename', 'mktemp', 'rm', 'tar', 'gzip', 'mkdir', 'tail', 'timeout', 'python3', 'cat'];

test(
  'npm run build:gpu-check builds at most 64 MiB; check.sh runs it from a clean folder and prints one JSON line',
  { timeout: 15 * 60_000 },
  async () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build-gpu-check.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    const built = join(root, 'dist', 'gpu-check');
    const clean = join(work, 'copy');
    mkdirSync(clean);
    for (const file of readdirSync(built)) copyFileSync(join(built, file), join(clean, file));
    const bytes = readdirSync(clean).reduce((sum, file) => sum + statSync(join(clean, file)).size, 0);
    assert.ok(bytes <= 64 * 1024 * 1024, `${bytes} bytes`);
    assert.deepEqual(readdirSync(clean).sort(), ['check.sh', 'trainyard-gpu-check.tar.gz']);

    const bin = join(work, 'bin');
    mkdirSync(bin);
    for (const tool of TOOLS) {
      const path = execFileSync('bash', ['-c', `command -v ${tool} || true`], { encoding: 'utf8' }).trim();
      if (path) symlinkSync(path, join(bin, tool));
    }
    const { stdout } = await promisify(execFile)(join(clean, 'check.sh'), [], {
      cwd: work,
      env: { PATH: bin, HOME: work, TMPDIR: work, GPU_CHECK_MODELS: 'lenet5/28x28x1/16', GPU_CHECK_STEPS: '2', GPU_CHECK_WARMUP: '1' },
      maxBuffer: 64 << 20,
    });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1, stdout);
    const report = JSON.parse(lines[0]);
    assert.equal(report.check, 'trainyard-gpu-check');
    assert.match(report.build.commit, /^[0-9a-f]{40}/);

    assert.equal(report.cpu.engine, 'wasm');
    assert.equal(report.cpu.device.kind, 'cpu');
    assert.deepEqual(
      report.cpu.results.map((r: { model: string }) => r.model),
      ['lenet5'],
    );
    assert.ok(report.cpu.results[0].trainImagesPerSec > 0 && report.cpu.results[0].evalImagesPerSec > 0, JSON.stringify(report.cpu));

    if (report.webgpu.error && process.env.CI !== 'true') return; // no Vulkan driver Dawn accepts here
    assert.equal(report.webgpu.engine, 'webgpu', JSON.stringify(report.webgpu));
    if (process.env.CI === 'true') assert.match(report.webgpu.device.name, /llvmpipe/);
    assert.ok(
      report.webgpu.results[0].trainImagesPerSec > 0 && report.webgpu.results[0].evalImagesPerSec > 0,
      JSON.stringify(report.webgpu),
    );

    const cuda = execFileSync(
      'bash',
      ['-c', "python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null && echo yes || echo no"],
      { encoding: 'utf8' },
    ).trim();
    if (cuda === 'no') assert.match(report.torch.skipped, /cuda/);
    assert.ok(report.seconds < 300, `${report.seconds} s`);
  },
);
