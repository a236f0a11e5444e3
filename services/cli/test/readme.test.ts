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

test("the README's import table is the graph the package.json files declare", () => {
  const block = /Who imports whom[^\n]*\n\n```\n([\s\S]*?)\n```/.exec(readme);
  assert.ok(block, 'README.md lacks the "Who imports whom" table');
  const drawn = new Map<string, string[]>();
  for (const line of block[1].split('\n')) {
    const [workspace, importers] = line.split('<-').map((part) => part.trim());
    const names = importers!
      .replace(/\([^)]*\)/g, '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== 'none');
    drawn.set(workspace!, names.sort());
  }
  const root = new URL('../../../../', import.meta.url);
  const workspaces: string[] = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).workspaces;
  const declared = new Map<string, string[]>(workspaces.map((path) => [path.split('/')[1]!, []]));
  for (const path of workspaces) {
    const manifest = JSON.parse(readFileSync(new URL(`${path}/package.json`, root), 'utf8'));
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies, ...manifest.optionalDependencies })) {
      if (name.startsWith('@trainyard/')) declared.get(name.slice('@trainyard/'.length))!.push(path.split('/')[1]!);
    }
  }
  for (const importers of declared.values()) importers.sort();
  declared.delete('dashboard'); // nothing imports the dashboard: the API serves its built files
  assert.deepEqual(Object.fromEntries(drawn), Object.fromEntries(declared));
});
