#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test and services/*/dist/test) in one node:test run,
// so CI reads a single summary. Node 20's --test takes no globs, hence the walk.
// TEST_FILTER=substring narrows the run to matching files; --unit runs the fast tier listed in
// scripts/unit-tests.json (`npm run test:unit`).
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['packages', 'services'];
const files = [];
function walk(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (entry.endsWith('.test.js')) files.push(path);
  }
}
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const pkg of readdirSync(root)) {
    const testDir = join(root, pkg, 'dist', 'test');
    if (existsSync(testDir)) walk(testDir);
  }
}
const filter = process.env.TEST_FILTER;
let selected = filter ? files.filter((f) => f.includes(filter)) : files;
if (process.argv.includes('--unit')) {
  const listed = JSON.parse(readFileSync(new URL('unit-tests.json', import.meta.url), 'utf8')).files;
  // packages/x/test/name.test.ts is compiled to packages/x/dist/test/name.test.js.
  const compiled = listed.map((path) => path.replace(/^((?:packages|services)\/[^/]+)\/test\/(.*)\.ts$/, '$1/dist/test/$2.js'));
  const missing = compiled.filter((path) => !files.includes(path));
  if (missing.length > 0) {
    console.error(
      `scripts/unit-tests.json lists test files that are not built (run npm run build, or fix the list): ${missing.join(', ')}`,
    );
    process.exit(1);
  }
  selected = selected.filter((path) => compiled.includes(path));
}
if (selected.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
