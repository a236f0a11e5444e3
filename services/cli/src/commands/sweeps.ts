/**
 * `trainyard sweeps submit|show|list|cancel` over the service's HTTP API (--api URL; the key from
 * TRAINYARD_API_KEY): hyperparameter sweeps, whose trials are ordinary jobs.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SweepBody, SweepSummary, SweepView, TrainyardClient } from '@trainyard/client';
import { UsageError, printJson } from '../args.js';
import { clientFromEnvironment, DEFAULT_API_URL } from '../client/api-client.js';
import { parseClientArgs, positionals, runSubcommand } from '../client/command-line.js';

const USAGE = [
  'usage: trainyard sweeps submit FILE|- [--wait]   a sweep as JSON (base, space, searcher, metric...); - reads stdin',
  '       trainyard sweeps show SWEEP_ID [--wait]   status, best trial and the leaderboard (with --wait: once it has ended)',
  '       trainyard sweeps list [--status running|succeeded|failed|cancelled] [--limit N]',
  '       trainyard sweeps cancel SWEEP_ID',
  '',
  `Each takes --api URL (default $TRAINYARD_API_URL or ${DEFAULT_API_URL}) and --json; the key comes from TRAINYARD_API_KEY.`,
  'With --wait, the exit status is 0 only if the sweep succeeded.',
].join('\n');

/** How often --wait asks for the sweep. */
const POLL_MS = 2_000;

function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function formatNumber(value: number | null): string {
  return value === null ? '-' : Number(value.toPrecision(4)).toString();
}

function formatValue(value: unknown): string {
  return typeof value === 'number' ? formatNumber(value) : String(value);
}

function headline(sweep: SweepSummary): string {
  const best = sweep.best ? `  best: trial ${sweep.best.trial} ${sweep.metric}=${formatNumber(sweep.best.metric)}` : '';
  return `${sweep.id}  ${sweep.name ?? '-'}  ${sweep.status}  ${sweep.searcher.type}  ${sweep.trials.created}/${sweep.trials.planned} trials${best}`;
}

function printSweep(sweep: SweepView): void {
  write(headline(sweep));
  if (sweep.error) write(`error: [${sweep.error.code}] ${sweep.error.message}`);
  write(`metric: ${sweep.metric} (${sweep.goal})`);
  if (sweep.best) {
    const values = Object.entries(sweep.best.hyperparameters).map(([path, value]) => `${path}=${formatValue(value)}`);
    write(
      `best: trial ${sweep.best.trial}, job ${sweep.best.jobId}, ${sweep.metric} ${formatNumber(sweep.best.metric)}: ${values.join(' ')}`,
    );
  }
  write();
  write(['trial', 'status', 'epochs', sweep.metric, 'stopped', 'job', 'hyperparameters'].join('\t'));
  for (const entry of sweep.leaderboard) {
    const stopped = entry.prunedAtRung !== null ? `pruned@${entry.prunedAtRung}` : (entry.stopReason ?? '-');
    const values = Object.entries(entry.hyperparameters).map(
      ([path, value]) => `${path.replace(/^hyperparameters\./, '')}=${formatValue(value)}`,
    );
    write([entry.trial, entry.status, entry.epochs, formatNumber(entry.metric), stopped, entry.jobId, values.join(' ')].join('\t'));
  }
}

async function untilEnded(client: TrainyardClient, id: string): Promise<SweepView> {
  for (;;) {
    const sweep = await client.sweeps.get(id);
    if (sweep.status !== 'running') return sweep;
    await sleep(POLL_MS);
  }
}

async function readBody(file: string): Promise<SweepBody> {
  const text = file === '-' ? await readStdin() : await readFile(file, 'utf8').catch(() => null);
  if (text === null) throw new UsageError(`no such file: ${file}`);
  try {
    return JSON.parse(text) as SweepBody;
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function submit(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { wait: { type: 'boolean' } });
  const [file] = positionals(rest, ['file']);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const sweep = await client.sweeps.submit(await readBody(file!));
  process.stderr.write(`submitted sweep ${sweep.id} (${sweep.trials.planned} trials planned)\n`);
  if (!values.wait) {
    if (values.json) printJson(sweep);
    else write(sweep.id);
    return 0;
  }
  return show(client, sweep.id, Boolean(values.json), true);
}

async function show(client: TrainyardClient, id: string, json: boolean, wait: boolean): Promise<number> {
  const sweep = wait ? await untilEnded(client, id) : await client.sweeps.get(id);
  if (json) printJson(sweep);
  else printSweep(sweep);
  return !wait || sweep.status === 'succeeded' ? 0 : 1;
}

async function list(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {
    status: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  });
  positionals(rest, []);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  // Checked by the API (400 validation_failed names the parameter), so passed on as given.
  const page = await client.sweeps.list({
    status: values.status as SweepSummary['status'] | undefined,
    limit: values.limit === undefined ? undefined : Number(values.limit),
    cursor: values.cursor as string | undefined,
  });
  if (values.json) printJson(page);
  else {
    if (page.sweeps.length === 0) process.stderr.write('no sweeps\n');
    for (const sweep of page.sweeps) write(headline(sweep));
    if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
  }
  return 0;
}

async function cancel(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {});
  const [id] = positionals(rest, ['sweep-id']);
  const sweep = await clientFromEnvironment(values.api as string | undefined, env).sweeps.cancel(id!);
  if (values.json) printJson(sweep);
  else write(`sweep ${sweep.id} cancelled; its running trials stop at their next batch`);
  return 0;
}

async function showSweep(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: ids } = parseClientArgs(argv, { wait: { type: 'boolean' } });
  const [id] = positionals(ids, ['sweep-id']);
  return show(clientFromEnvironment(values.api as string | undefined, env), id!, Boolean(values.json), Boolean(values.wait));
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runSubcommand('sweeps', USAGE, { submit, list, cancel, show: showSweep }, argv, env);
}
