/**
 * The README runs exactly as written: every ```sh block (except those fenced ```sh no-test) is run
 * verbatim, in order, in one bash with `set -e` and a curl that fails on an HTTP error, from the
 * repository root (so `npx trainyard` is this checkout's CLI), against a service started from the
 * built checkout (`trainyard start api` and `trainyard start worker`, what `npm start` runs, on a
 * free port, with a fresh database). Its answers pass through the contract proxy, so every one is
 * also checked against the OpenAPI document. Files the blocks write in the root are removed after.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLiveService, type LiveService } from '../src/testing/live-service.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const README = join(ROOT, 'README.md');

export interface ShellBlock {
  line: number;
  code: string;
}

/** The ```sh blocks of a Markdown text that are meant to run (not fenced ```sh no-test). */
export function runnableShellBlocks(markdown: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  const fence = /^```sh([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (const match of markdown.matchAll(fence)) {
    if (/\bno-test\b/.test(match[1]!)) continue;
    blocks.push({ line: markdown.slice(0, match.index).split('\n').length, code: match[2]! });
  }
  return blocks;
}

/** One script: the preamble, then each block behind a marker line naming where it is in README.md. */
export function readmeScript(blocks: ShellBlock[]): string {
  const preamble = [
    'set -e',
    '# curl fails on an HTTP error (and shows the error body), as a careful user would notice it',
    'curl() { command curl --fail-with-body "$@"; }',
  ];
  const parts = blocks.map((block) => `echo ${JSON.stringify(`>>> README.md line ${block.line}`)} >&2\n${block.code}`);
  return `${preamble.join('\n')}\n${parts.join('\n')}\necho '>>> README.md: every block ran' >&2\n`;
}

test('block selection: every ```sh block runs unless fenced ```sh no-test; other languages never', () => {
  const markdown = [
    '```sh',
    'echo one',
    '```',
    '```sh no-test',
    'exit 1',
    '```',
    '```js',
    'x()',
    '```',
    '```sh',
    'echo two',
    'echo three',
    '```',
  ].join('\n');
  assert.deepEqual(runnableShellBlocks(markdown), [
    { line: 1, code: 'echo one\n' },
    { line: 10, code: 'echo two\necho three\n' },
  ]);
});

let service: LiveService | undefined;
const rootEntries = new Set(readdirSync(ROOT));
before(async () => {
  service = await startLiveService({ tenant: 'readme' });
});
after(async () => {
  for (const entry of readdirSync(ROOT)) if (!rootEntries.has(entry)) rmSync(join(ROOT, entry), { recursive: true, force: true });
  await service?.close();
});

test('README.md: its shell blocks run verbatim against a service started from the checkout', { timeout: 30 * 60_000 }, async (t) => {
  if (!existsSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz')) {
    // The blocks read Debian's Fashion-MNIST; CI installs dataset-fashion-mnist (.ci/run).
    if (process.env.CI === 'true') assert.fail('dataset-fashion-mnist is missing: CI must install it');
    t.skip('dataset-fashion-mnist is not installed');
    return;
  }
  const blocks = runnableShellBlocks(readFileSync(README, 'utf8'));
  assert.ok(blocks.length >= 3, `found ${blocks.length} runnable blocks`);
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...service!.env, TRAINYARD_API_URL: service!.url };
  delete env.TRAINYARD_API_KEY;
  const child = spawn('bash', ['-c', readmeScript(blocks)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const [code] = (await once(child, 'exit')) as [number];
  const failedAt = [...output.matchAll(/>>> (README\.md line \d+)/g)].at(-1)?.[1];
  assert.equal(code, 0, `the README block at ${failedAt} failed (exit ${code}):\n${output.slice(-6000)}`);
  assert.match(output, />>> README.md: every block ran/);
});
