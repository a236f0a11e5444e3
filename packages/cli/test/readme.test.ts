import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configurationTable } from '../src/commands/config.js';

const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

test('the README configuration table is the one generated from the services own tables', () => {
  const block = /<!-- config:start[^>]*-->\n([\s\S]*?)\n<!-- config:end -->/.exec(readme);
  assert.ok(block, 'README.md lacks the <!-- config:start --> ... <!-- config:end --> block');
  assert.equal(block[1], configurationTable(), 'regenerate it: npx trainyard config');
});
