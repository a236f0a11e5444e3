/** `trainyard doctor --json` in a real process: every engine with why it loads or not, the choice and a probe. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/main.js', import.meta.url));

test('trainyard doctor --json lists every engine with a reason when it does not load, the chosen engine, its device and a LeNet-5 probe', async () => {
  const env = { ...process.env };
  delete env.TRAINYARD_ENGINE;
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'doctor', '--json'], { env, timeout: 300_000, maxBuffer: 1 << 20 });
  const report = JSON.parse(stdout);
  assert.deepEqual(
    report.engines.map((e: { engine: string }) => e.engine),
    ['tensorflow-gpu', 'webgpu', 'tensorflow', 'onednn', 'wasm', 'cpu'],
  );
  for (const e of report.engines) {
    if (!e.loads) assert.ok(e.reason.length > 0, `${e.engine} says why it does not load`);
    else assert.ok(e.device.name.length > 0);
  }
  assert.equal(report.engines.find((e: { engine: string }) => e.engine === 'wasm').loads, true);
  assert.ok(['onednn', 'wasm'].includes(report.chosen.engine), report.chosen.engine);
  assert.equal(report.chosen.device.kind, 'cpu');
  assert.ok(report.probe.steps >= 1 && report.probe.trainImagesPerSec > 0, JSON.stringify(report.probe));
  assert.ok(report.probe.seconds >= 5);
});
