/**
 * Run as a child process of the API (never imported by it), one per export: turns a checkpoint file
 * into a model file with the CNN package (which needs tfjs, kept out of the API process like the
 * parameter counts). argv: the checkpoint's path, the output's path, then the options as JSON.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describeBuiltinDataset, exportCheckpoint, initEngine } from '@trainyard/cnn';
import type { ExportChildOptions } from './checkpoint-model.js';

const [input, output, json] = process.argv.slice(2) as [string, string, string];
const options = JSON.parse(json) as ExportChildOptions;
try {
  await initEngine();
  const classNames = Array.isArray(options.classNames) ? options.classNames : describeBuiltinDataset(options.classNames.builtin).classNames;
  await writeFile(output, await exportCheckpoint(new Uint8Array(await readFile(input)), { ...options, classNames }));
  process.exit(0);
} catch (error) {
  const e = error as { code?: string; message?: string };
  process.stderr.write(JSON.stringify({ code: e.code, message: e.message ?? String(error) }));
  process.exit(1);
}
