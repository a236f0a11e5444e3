#!/usr/bin/env node
// Marks each workspace's `bin` files executable after the build. npm does this when it links the bins
// at install time, but on a fresh clone `npm ci` runs before the files exist, and tsc writes new files
// without the bit, so `npx trainyard` would answer "Permission denied".
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = JSON.parse(readFileSync('package.json', 'utf8'));
for (const workspace of root.workspaces) {
  const manifest = JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8'));
  const bins = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
  for (const bin of bins) {
    const path = join(workspace, bin);
    if (!existsSync(path)) throw new Error(`${workspace}: bin ${bin} was not built`);
    chmodSync(path, 0o755);
  }
}
