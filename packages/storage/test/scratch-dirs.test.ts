/**
 * Temporary folders of processes that were killed: real child processes make them, and they are
 * removed by their parent afterwards or by any process at start-up, while a live process's stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDir, removeOrphanedScratchDirs, removeScratchDirsOf } from '../src/index.js';

const MODULE = fileURLToPath(new URL('../src/scratch-dirs.js', import.meta.url));

/** A process that makes a scratch folder with a file in it, prints its path, then waits to be killed. */
function child(parent: string): Promise<{ pid: number; dir: string; kill(): Promise<void> }> {
  const script = `
    import { createScratchDir } from ${JSON.stringify(MODULE)};
    import { writeFileSync } from 'node:fs';
    const dir = await createScratchDir(${JSON.stringify(parent)}, 'dataset-abc');
    writeFileSync(dir + '/images', 'x'.repeat(1000));
    console.log(dir);
    setInterval(() => {}, 1000);`;
  const process_ = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    process_.stdout.once('data', (data: Buffer) =>
      resolve({
        pid: process_.pid!,
        dir: data.toString().trim(),
        kill: () => new Promise((done) => (process_.once('exit', () => done()), process_.kill('SIGKILL'))),
      }),
    );
    process_.once('error', reject);
  });
}

test('a killed process leaves its folder; its parent removes it by pid, start-up removes the dead ones only', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'trainyard-scratch-test-'));
  try {
    const killed = await child(parent);
    const orphan = await child(parent);
    const alive = await child(parent);
    const mine = await createScratchDir(parent, 'upload');
    writeFileSync(join(parent, 'unrelated-file'), '');
    await killed.kill();
    await orphan.kill();
    assert.ok(existsSync(join(killed.dir, 'images')), 'SIGKILL leaves the folder behind');

    assert.deepEqual(await removeScratchDirsOf(parent, killed.pid), [killed.dir.split('/').pop()]);
    assert.ok(!existsSync(killed.dir));
    assert.ok(existsSync(orphan.dir), "another process's folder is not touched");

    const removed = await removeOrphanedScratchDirs(parent);
    assert.deepEqual(removed, [orphan.dir.split('/').pop()]);
    assert.ok(existsSync(alive.dir), 'a live process keeps its folder');
    assert.ok(existsSync(mine), 'and so does the caller');
    assert.deepEqual(
      readdirSync(parent).sort(),
      [alive.dir, mine]
        .map((dir) => dir.split('/').pop()!)
        .concat('unrelated-file')
        .sort(),
    );
    await alive.kill();
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
