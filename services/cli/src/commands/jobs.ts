/**
 * `trainyard jobs submit|list|show|watch|wait|logs|cancel|download|predict|tag|compare`: the service's jobs over its HTTP API
 * (--api URL, default http://127.0.0.1:3000; the key from TRAINYARD_API_KEY). --json prints the API's
 * JSON on stdout (one line); otherwise a human summary. Errors print the API's code and message.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UsageError, printJson } from '../args.js';
import type { JobLogLine, JobSpec, JobView, ListJobsQuery, TrainyardClient } from '@trainyard/client';
import { clientFromEnvironment, DEFAULT_API_URL, uploadForm } from '../client/api-client.js';
import { keyValue, parseClientArgs, positionals, runSubcommand, type Subcommand } from '../client/command-line.js';
import { epochLine, progressLine } from '../client/progress-line.js';

const USAGE = [
  'usage: trainyard jobs submit --arch NAME --dataset synthetic|fashion-mnist|DATASET_ID [--name TEXT]',
  '                             [--pretrained WEIGHTS_ID|job:JOB_ID] [--freeze none|backbone|PREFIX,PREFIX...]',
  '                             [--image-size H,W] [--channels 1|3] [--hp key=value ...] [--max-runtime SECONDS]',
  '                             [--tag key=value ...] [--idempotency-key KEY] [--watch]',
  '       trainyard jobs list [--status queued|running|succeeded|failed|cancelled] [--arch NAME] [--sweep SWEEP_ID]',
  '                           [--tag key:value ...] [--metric NAME [--min X] [--max X]] [--sort createdAt:desc|metric:NAME:desc|asc] [--limit N]',
  '       trainyard jobs tag JOB_ID key=value ... [--remove KEY ...]   add or replace tags, remove keys',
  '       trainyard jobs compare JOB_ID JOB_ID ...  where their specs differ, and their final metrics (up to 10 jobs)',
  '       trainyard jobs show JOB_ID          the job, its per-epoch metrics and (once succeeded) its evaluation',
  '       trainyard jobs watch JOB_ID         live progress until the job ends (exit 0 only if it succeeded)',
  '       trainyard jobs wait JOB_ID          quietly until the job ends; prints its final status (exit 0 only if it succeeded)',
  '       trainyard jobs logs JOB_ID [-f] [--since LINE_ID]',
  '                                          the log of its training process; -f follows it until the job ends',
  '       trainyard jobs cancel JOB_ID',
  '       trainyard jobs download JOB_ID [--format tfjs|safetensors] [--epoch N] [--output FILE]',
  "                                          the trained model (.tar.gz, or a torchvision state_dict), or checkpoint N's",
  '       trainyard jobs predict JOB_ID IMAGE... [--top K]  classify PNG or JPEG files with the trained model (default top 5)',
  '',
  `Every command takes --api URL (default $TRAINYARD_API_URL or ${DEFAULT_API_URL}) and --json; the key comes from TRAINYARD_API_KEY.`,
  '--hp sets one hyperparameter (repeatable): --hp epochs=10 --hp optimizer=sgd --hp \'augmentation={"horizontalFlip":true}\'.',
].join('\n');

function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function pct(value: unknown): string {
  return typeof value === 'number' ? `${(value * 100).toFixed(2)}%` : '–';
}

function datasetOf(job: JobView): string {
  const dataset = job.spec.dataset;
  return 'builtin' in dataset ? dataset.builtin : `dataset ${dataset.id}`;
}

function summary(job: JobView): string {
  const p = job.progress;
  const progress = p ? `epoch ${p.epoch}/${p.epochs}` : '';
  const error = job.error ? ` [${job.error.code}] ${job.error.message}` : '';
  return `${job.id}  ${job.status.padEnd(9)}  ${job.architecture.padEnd(14)}  ${datasetOf(job).padEnd(14)}  ${progress.padEnd(12)}  ${job.name ?? ''}${tagText(job.tags)}${error}`;
}

function tagText(tags: Record<string, string>): string {
  const entries = Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? '' : `  [${entries.map(([key, value]) => `${key}=${value}`).join(' ')}]`;
}

/** --tag key=value flags as a tags object (values are text, never parsed as JSON). */
function tagsOf(flags: string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const text of flags ?? []) {
    const at = text.indexOf('=');
    if (at <= 0) throw new UsageError(`a tag is key=value (got "${text}")`);
    tags[text.slice(0, at)] = text.slice(at + 1);
  }
  return tags;
}

async function submit(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {
    arch: { type: 'string' },
    dataset: { type: 'string' },
    name: { type: 'string' },
    hp: { type: 'string', multiple: true },
    'max-runtime': { type: 'string' },
    'idempotency-key': { type: 'string' },
    watch: { type: 'boolean' },
    pretrained: { type: 'string' },
    freeze: { type: 'string' },
    'image-size': { type: 'string' },
    channels: { type: 'string' },
    tag: { type: 'string', multiple: true },
  });
  positionals(rest, []);
  const architecture = values.arch as string | undefined;
  const dataset = values.dataset as string | undefined;
  if (!architecture) throw new UsageError('--arch NAME is required (`trainyard models` lists them)');
  if (!dataset) throw new UsageError('--dataset is required: synthetic, fashion-mnist, or the id of an uploaded dataset');
  const model: JobSpec['model'] = { architecture };
  const pretrained = values.pretrained as string | undefined;
  if (pretrained) model.pretrained = pretrained.startsWith('job:') ? { jobId: pretrained.slice(4) } : { weightsId: pretrained };
  const freeze = values.freeze as string | undefined;
  if (freeze) model.freeze = freeze === 'none' || freeze === 'backbone' ? freeze : freeze.split(',').filter(Boolean);
  const datasetRef: JobSpec['dataset'] = dataset === 'synthetic' || dataset === 'fashion-mnist' ? { builtin: dataset } : { id: dataset };
  if (values['image-size'] !== undefined) {
    const size = String(values['image-size']).split(/[,x]/).map(Number);
    if (size.length !== 2 || !size.every(Number.isInteger)) throw new UsageError('--image-size takes HEIGHT,WIDTH (for example 64,64)');
    datasetRef.imageSize = [size[0]!, size[1]!];
  }
  if (values.channels !== undefined) datasetRef.channels = Number(values.channels) as 1 | 3;
  const body: JobSpec = { model, dataset: datasetRef };
  if (values.name) body.name = String(values.name);
  const tags = tagsOf(values.tag as string[] | undefined);
  if (Object.keys(tags).length > 0) body.tags = tags;
  const hyperparameters = Object.fromEntries(((values.hp as string[] | undefined) ?? []).map((text) => keyValue(text, '--hp')));
  if (Object.keys(hyperparameters).length > 0) body.hyperparameters = hyperparameters;
  if (values['max-runtime'] !== undefined) body.maxRuntimeSeconds = Number(values['max-runtime']);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const idempotencyKey = values['idempotency-key'] === undefined ? undefined : String(values['idempotency-key']);
  const job = await client.jobs.submit(body, { idempotencyKey });
  if (values.json && !values.watch) printJson(job);
  else process.stderr.write(`submitted job ${job.id} (${job.status})\n`);
  if (!values.json) write(job.id);
  return values.watch ? follow(client, job.id, Boolean(values.json)) : 0;
}

async function list(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {
    status: { type: 'string' },
    arch: { type: 'string' },
    sweep: { type: 'string' },
    tag: { type: 'string', multiple: true },
    metric: { type: 'string' },
    min: { type: 'string' },
    max: { type: 'string' },
    sort: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  });
  positionals(rest, []);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const number = (name: string) => (values[name] === undefined ? undefined : Number(values[name]));
  // Checked by the API (400 validation_failed names the parameter), so passed on as given.
  const page = await client.jobs.list({
    status: values.status as ListJobsQuery['status'],
    architecture: values.arch as string | undefined,
    sweepId: values.sweep as string | undefined,
    tag: values.tag as string[] | undefined,
    metric: values.metric as ListJobsQuery['metric'],
    min: number('min'),
    max: number('max'),
    sort: values.sort as ListJobsQuery['sort'],
    limit: number('limit'),
    cursor: values.cursor as string | undefined,
  });
  if (values.json) {
    printJson(page);
    return 0;
  }
  if (page.jobs.length === 0) process.stderr.write('no jobs\n');
  for (const job of page.jobs) write(summary(job));
  if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
  return 0;
}

async function tag(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { remove: { type: 'string', multiple: true } });
  const [id, ...pairs] = rest;
  if (id === undefined) throw new UsageError('expected <job-id> key=value ...');
  const change: Record<string, string | null> = tagsOf(pairs);
  for (const key of (values.remove as string[] | undefined) ?? []) change[key] = null;
  if (Object.keys(change).length === 0) throw new UsageError('give key=value pairs to set or --remove KEY');
  const job = await clientFromEnvironment(values.api as string | undefined, env).jobs.update(id, { tags: change });
  if (values.json) printJson(job);
  else write(`${job.id}${tagText(job.tags) || '  (no tags)'}`);
  return 0;
}

async function compare(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: ids } = parseClientArgs(argv, {});
  if (ids.length === 0) throw new UsageError('expected <job-id> <job-id> ...');
  const comparison = await clientFromEnvironment(values.api as string | undefined, env).jobs.compare(ids);
  if (values.json) {
    printJson(comparison);
    return 0;
  }
  for (const job of comparison.jobs) {
    const final = job.finalMetrics;
    const metrics = final
      ? `epoch ${final.epoch}: train loss ${final.trainLoss.toFixed(4)}, validation accuracy ${pct(final.validationAccuracy)}`
      : 'no epochs yet';
    write(`${job.id}  ${job.status.padEnd(9)}  ${job.architecture.padEnd(14)}  ${metrics}  ${job.name ?? ''}`);
    for (const path of comparison.differences) write(`  ${path} = ${JSON.stringify(job.specDifferences[path])}`);
    if (job.evaluation) write(`  test set: top-1 ${pct(job.evaluation.top1)}, loss ${job.evaluation.loss.toFixed(4)}`);
  }
  return 0;
}

async function show(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {});
  const [id] = positionals(rest, ['job-id']);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const job = await client.jobs.get(id!);
  const { epochs } = await client.jobs.metrics(job.id);
  const evaluation = job.status === 'succeeded' ? await client.jobs.evaluation(job.id) : null;
  if (values.json) {
    printJson({ job, metrics: { epochs }, evaluation });
    return 0;
  }
  write(summary(job));
  write(
    `created ${job.createdAt}, started ${job.startedAt ?? '–'}, finished ${job.finishedAt ?? '–'}; engine ${job.engine ?? '–'}${job.device ? ` on ${job.device.name} (${job.device.kind})` : ''}, attempts ${job.attempts}`,
  );
  for (const epoch of epochs) write(`  ${epochLine(epoch)}`);
  if (evaluation) {
    write(`test set: top-1 ${pct(evaluation.top1)}, top-5 ${pct(evaluation.top5)}, loss ${evaluation.loss.toFixed(4)}`);
    for (const c of evaluation.perClass) {
      write(
        `  ${String(c.className).padEnd(16)} precision ${pct(c.precision)}  recall ${pct(c.recall)}  f1 ${pct(c.f1)}  support ${c.support}`,
      );
    }
  }
  return 0;
}

/**
 * Follows the job's events to its end. On a terminal: one progress line redrawn in place, a line per
 * epoch. Otherwise (a pipe, a log file): a plain line per event. With --json: the events as JSON lines.
 */
async function follow(client: TrainyardClient, id: string, json: boolean): Promise<number> {
  const tty = process.stdout.isTTY === true && !json;
  let drawn = false;
  const clearLine = () => {
    if (drawn) process.stdout.write('\r\x1b[2K');
    drawn = false;
  };
  let lastPhase: string | null = null;
  let status: string | null = null;
  for await (const event of client.jobs.events(id)) {
    if (event.type === 'status') status = event.status;
    if (json) {
      printJson(event);
      continue;
    }
    if (event.type === 'progress') {
      const line = progressLine(event);
      if (tty) {
        process.stdout.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else write(line);
      continue;
    }
    if (event.type === 'phase' && event.phase === lastPhase) continue; // the worker and its child may both announce one
    if (tty) clearLine();
    if (event.type === 'epoch') write(epochLine(event));
    else if (event.type === 'phase') write(`phase: ${(lastPhase = event.phase)}`);
    else {
      lastPhase = null;
      write(`status: ${event.status}${event.error ? ` [${event.error.code}] ${event.error.message}` : ''}`);
    }
  }
  if (tty) clearLine();
  if (!json && status === 'succeeded') {
    const evaluation = await client.jobs.evaluation(id);
    write(`test set: top-1 ${pct(evaluation.top1)}, top-5 ${pct(evaluation.top5)}, loss ${evaluation.loss.toFixed(4)}`);
  }
  return status === 'succeeded' ? 0 : 1;
}

async function watch(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {});
  const [id] = positionals(rest, ['job-id']);
  return follow(clientFromEnvironment(values.api as string | undefined, env), id!, Boolean(values.json));
}

async function wait(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {});
  const [id] = positionals(rest, ['job-id']);
  const job = await clientFromEnvironment(values.api as string | undefined, env).jobs.wait(id!);
  if (values.json) printJson(job);
  else write(summary(job));
  return job.status === 'succeeded' ? 0 : 1;
}

const LOG_PAGE = 1000;

/** The job's log lines, oldest first: every page of them, or with -f the lines as they come until the job ends. */
async function logs(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { follow: { type: 'boolean', short: 'f' }, since: { type: 'string' } });
  const [id] = positionals(rest, ['job-id']);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const print = (line: JobLogLine) => (values.json ? printJson(line) : write(`${line.time} ${line.level.padEnd(5)} ${line.message}`));
  let since = values.since as string | undefined;
  if (values.follow) {
    for await (const line of client.jobs.followLogs(id!, { lastEventId: since })) print(line);
    return 0;
  }
  for (;;) {
    const page = await client.jobs.logs(id!, { since, limit: LOG_PAGE });
    for (const line of page.lines) print(line);
    if (page.lines.length < LOG_PAGE || page.nextCursor === null) return 0;
    since = page.nextCursor;
  }
}

async function cancel(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {});
  const [id] = positionals(rest, ['job-id']);
  const job = await clientFromEnvironment(values.api as string | undefined, env).jobs.cancel(id!);
  if (values.json) printJson(job);
  else
    write(
      job.status === 'cancelled'
        ? `job ${job.id} cancelled`
        : `job ${job.id}: cancel requested (${job.status}); it stops at its next batch`,
    );
  return 0;
}

async function download(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {
    output: { type: 'string', short: 'o' },
    format: { type: 'string' },
    epoch: { type: 'string' },
  });
  const [id] = positionals(rest, ['job-id']);
  const format = (values.format as string | undefined) ?? 'tfjs';
  if (format !== 'tfjs' && format !== 'safetensors') throw new UsageError('--format is tfjs or safetensors');
  const epoch = values.epoch as string | undefined;
  if (epoch !== undefined && !/^\d+$/.test(epoch))
    throw new UsageError('--epoch takes the epoch of a retained checkpoint (GET /v1/jobs/{id}/checkpoints lists them)');
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const output =
    (values.output as string | undefined) ??
    `${id}${epoch !== undefined ? `-epoch-${epoch}` : ''}.${format === 'tfjs' ? 'tar.gz' : 'safetensors'}`;
  const response =
    epoch === undefined ? await client.jobs.model(id!, { format }) : await client.jobs.checkpointModel(id!, Number(epoch), { format });
  // Written beside the target and renamed at the end: an interrupted download leaves no half file.
  const partial = `${output}.partial`;
  try {
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(partial));
    await rename(partial, output);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  if (values.json) printJson({ id, file: output, bytes: Number(response.headers.get('content-length') ?? 0) || null });
  else write(output);
  return 0;
}

async function predict(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { top: { type: 'string' } });
  const [id, ...images] = rest;
  if (id === undefined || images.length === 0) throw new UsageError('expected <job-id> and one or more image files');
  const top = values.top === undefined ? undefined : Number(values.top);
  if (top !== undefined && !(Number.isInteger(top) && top >= 1))
    throw new UsageError(`--top takes a whole number from 1 (got "${String(values.top)}")`);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const answer = await client.jobs.predict(
    id,
    await uploadForm(
      images.map((file) => ({ name: 'images', file })),
      {},
    ),
    { top },
  );
  if (values.json) {
    printJson(answer);
    return 0;
  }
  answer.predictions.forEach((prediction, i) => {
    write(`${images[i]}  ${prediction.top.map((entry) => `${entry.class} ${pct(entry.probability)}`).join('  ')}`);
  });
  return 0;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  submit,
  list,
  show,
  watch,
  wait,
  logs,
  cancel,
  download,
  predict,
  tag,
  compare,
};

export function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runSubcommand('jobs', USAGE, SUBCOMMANDS, argv, env);
}
