// The one way a benchmark keeps its figures: a JSON line appended to bench/results/<name>.jsonl with
// benchContext() of ./rounds.mjs (the date, the commit measured and whether the tree had uncommitted
// changes, the machine), so that every figure the README quotes can be traced to the code that made it.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchContext } from './rounds.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Appends `row` to bench/results/<name>.jsonl after benchContext(); returns the record. */
export function recordResult(name, row) {
  const record = { ...benchContext(), ...row };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  appendFileSync(join(root, `bench/results/${name}.jsonl`), JSON.stringify(record) + '\n');
  return record;
}
