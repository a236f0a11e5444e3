/**
 * `trainyard weights upload|list|delete` over the service's HTTP API (--api URL; the key from
 * TRAINYARD_API_KEY): pretrained torchvision weights to fine-tune from (jobs submit --pretrained ID).
 */
import { UsageError, printJson } from '../args.js';
import type { WeightsView } from '@trainyard/client';
import { clientFromEnvironment, DEFAULT_API_URL, uploadForm } from '../client/api-client.js';
import { parseClientArgs, positionals, runSubcommand } from '../client/command-line.js';

const USAGE = [
  'usage: trainyard weights upload FILE --arch NAME [--name TEXT]   a torchvision state_dict: torch.save (.pth) or .safetensors',
  '       trainyard weights list',
  '       trainyard weights delete WEIGHTS_ID',
  '',
  `Each takes --api URL (default $TRAINYARD_API_URL or ${DEFAULT_API_URL}) and --json; the key comes from TRAINYARD_API_KEY.`,
].join('\n');

function describe(weights: WeightsView): string {
  return `${weights.id}  ${weights.name}  ${weights.architecture}  ${weights.format}  ${weights.classes} classes  ${weights.parameters} parameters`;
}

async function upload(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { arch: { type: 'string' }, name: { type: 'string' } });
  const [file] = positionals(rest, ['file']);
  if (!values.arch) throw new UsageError('--arch NAME is required: the architecture the weights are for (`trainyard models` lists them)');
  const fields: Record<string, string> = { architecture: String(values.arch) };
  if (values.name !== undefined) fields.name = String(values.name);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const weights = await client.weights.upload(await uploadForm([{ name: 'file', file: file! }], fields));
  if (values.json) printJson(weights);
  else process.stdout.write(`${describe(weights)}\n`);
  return 0;
}

async function list(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, { limit: { type: 'string' }, cursor: { type: 'string' } });
  positionals(rest, []);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  const page = await client.weights.list({
    limit: values.limit === undefined ? undefined : Number(values.limit),
    cursor: values.cursor as string | undefined,
  });
  if (values.json) printJson(page);
  else {
    if (page.weights.length === 0) process.stderr.write('no weights\n');
    for (const weights of page.weights) process.stdout.write(`${describe(weights)}\n`);
    if (page.nextCursor) process.stderr.write(`more: --cursor ${page.nextCursor}\n`);
  }
  return 0;
}

async function remove(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals: rest } = parseClientArgs(argv, {});
  const [id] = positionals(rest, ['weights-id']);
  const client = clientFromEnvironment(values.api as string | undefined, env);
  await client.weights.delete(id!);
  if (values.json) printJson({ id, deleted: true });
  else process.stderr.write(`deleted weights ${id}\n`);
  return 0;
}

export function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runSubcommand('weights', USAGE, { upload, list, delete: remove }, argv, env);
}
