/**
 * `trainyard datasets upload|list` over the service's HTTP API (--api URL; the key from
 * TRAINYARD_API_KEY). Files are streamed from disk, never read whole into memory.
 */
import { UsageError, printJson } from '../args.js';
import type { DatasetView } from '@trainyard/client';
import { clientFromEnvironment, DEFAULT_API_URL, uploadForm } from '../client/api-client.js';
import { parseClientArgs, runSubcommand } from '../client/command-line.js';

const USAGE = [
  'usage: trainyard datasets upload --images FILE --labels FILE [--name TEXT]      an IDX pair (MNIST format, .gz or not)',
  '       trainyard datasets upload FILE... [--format cifar10|cifar100|imagefolder|idx] [--name TEXT]',
  '                                          CIFAR binary batches, or one zip/tar.gz with a folder of images per class',
  '       either takes --image-size H,W, --channels 1|3 and --test-fraction F: how the dataset is read (resized,',
  '       grey replicated to 3 channels for pretrained weights, the held-out test share)',
  '       trainyard datasets list',
  '',
  `Both take --api URL (default $TRAINYARD_API_URL or ${DEFAULT_API_URL}) and --json; the key comes from TRAINYARD_API_KEY.`,
].join('\n');

function describe(dataset: DatasetView): string {
  return `${dataset.id}  ${dataset.name}  ${String(dataset.format ?? '')}  ${dataset.inputShape?.join('x') ?? '?'}  ${dataset.classNames.length} classes  ${dataset.trainSize} train / ${dataset.testSize} test`;
}

async function upload(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: files } = parseClientArgs(argv, {
    images: { type: 'string' },
    labels: { type: 'string' },
    name: { type: 'string' },
    format: { type: 'string' },
    'image-size': { type: 'string' },
    channels: { type: 'string' },
    'test-fraction': { type: 'string' },
  });
  const parts: Array<{ name: string; file: string }> = [];
  if (values.images !== undefined || values.labels !== undefined) {
    if (values.images === undefined || values.labels === undefined)
      throw new UsageError('an IDX upload needs both --images FILE and --labels FILE');
    parts.push({ name: 'images', file: String(values.images) }, { name: 'labels', file: String(values.labels) });
  }
  for (const file of files) parts.push({ name: 'file', file });
  if (parts.length === 0) throw new UsageError('give the files to upload (see --help)');
  const fields: Record<string, string> = {};
  if (values.name !== undefined) fields.name = String(values.name);
  if (values.format !== undefined) fields.format = String(values.format);
  if (values['image-size'] !== undefined) fields.imageSize = String(values['image-size']);
  if (values.channels !== undefined) fields.channels = String(values.channels);
  if (values['test-fraction'] !== undefined) fields.testFraction = String(values['test-fraction']);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const dataset = await client.datasets.upload(await uploadForm(parts, fields));
  if (values.json) printJson(dataset);
  else {
    process.stdout.write(`${describe(dataset)}\n`);
    process.stdout.write(`classes: ${dataset.classNames.join(', ')}\n`);
  }
  return 0;
}

async function list(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { limit: { type: 'string' }, cursor: { type: 'string' } });
  if (rest.length > 0) throw new UsageError(`datasets list takes no arguments (got ${rest.join(' ')})`);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const page = await client.datasets.list({
    limit: values.limit === undefined ? undefined : Number(values.limit),
    cursor: values.cursor as string | undefined,
  });
  if (values.json) printJson(page);
  else {
    if (page.datasets.length === 0) process.stderr.write('no datasets\n');
    for (const dataset of page.datasets) process.stdout.write(`${describe(dataset)}\n`);
    if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
  }
  return 0;
}

export function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runSubcommand('datasets', USAGE, { upload, list }, argv, env);
}
