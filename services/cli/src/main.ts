#!/usr/bin/env node
/**
 * `trainyard`: one command for the CNN package (models, train, bench) and the service (start, keys).
 * Each command lives in its own module, loaded only when used, so `trainyard keys` never loads
 * TensorFlow.js and `trainyard models` never touches a database.
 */
import { UsageError } from './args.js';

type CommandModule = { run(argv: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  models: { summary: 'list the architectures with their parameter counts', load: () => import('./commands/models.js') },
  train: { summary: 'train a model locally and export it', load: () => import('./commands/train.js') },
  bench: { summary: 'measure training and inference throughput', load: () => import('./commands/bench.js') },
  start: { summary: 'run the service: API and a worker, or one of them', load: () => import('./commands/start.js') },
  config: { summary: 'print every environment variable with its default and meaning', load: () => import('./commands/config.js') },
  keys: { summary: 'create or revoke API keys (connects to DATABASE_URL)', load: () => import('./commands/keys.js') },
  jobs: { summary: 'submit, list, show, watch, cancel and download jobs (over the API)', load: () => import('./commands/jobs.js') },
  doctor: {
    summary: 'which engines load here and why not, the chosen engine and device, a 5-second probe',
    load: () => import('./commands/doctor.js'),
  },
  workers: {
    summary: 'list the live workers: engine, device, accelerator class, load (over the API)',
    load: () => import('./commands/workers.js'),
  },
  datasets: { summary: 'upload and list datasets (over the API)', load: () => import('./commands/datasets.js') },
  weights: { summary: 'upload, list and delete pretrained weights (over the API)', load: () => import('./commands/weights.js') },
  webhooks: {
    summary: 'create, list and delete webhooks, and see their deliveries (over the API)',
    load: () => import('./commands/webhooks.js'),
  },
  sweeps: { summary: 'submit, show, list and cancel hyperparameter sweeps (over the API)', load: () => import('./commands/sweeps.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return ['usage: trainyard <command> [options]', '', 'commands:', ...lines, '', 'trainyard <command> --help for its options'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stderr.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`trainyard: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bad command line exits 2 like other Unix tools; a typed error shows its stable code.
    const e = error as { code?: string; message?: string; details?: unknown };
    // The details of an API error (which field, which rule) belong in the message.
    const details = e.details === undefined ? '' : `\n${JSON.stringify(e.details, null, 2)}`;
    process.stderr.write(`trainyard: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(error)}${details}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
