import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { openBuiltinDataset, openDataset, resolveTrainConfig, runTraining, type EpochMetrics, type LoadedDataset } from '@trainyard/cnn';
import { HYPERPARAMETERS, type HyperparameterSpec } from '@trainyard/contracts';
import { logToStderr, parseCommandLine, printJson, UsageError } from '../args.js';

/**
 * Every hyperparameter becomes a flag: learningRate -> --learning-rate, and the fields of an object
 * one -> --early-stopping-patience, --augmentation-horizontal-flip. The table in @trainyard/contracts
 * is the single description of them, so the CLI, the API and the trainer agree.
 */
interface HyperparameterFlag {
  flag: string;
  path: string[];
  spec: HyperparameterSpec;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function hyperparameterFlags(): HyperparameterFlag[] {
  return HYPERPARAMETERS.flatMap((spec) =>
    spec.type === 'object'
      ? (spec.properties ?? []).map((sub) => ({ flag: `${kebab(spec.name)}-${kebab(sub.name)}`, path: [spec.name, sub.name], spec: sub }))
      : [{ flag: kebab(spec.name), path: [spec.name], spec }],
  );
}

function help(flags: HyperparameterFlag[]): string {
  const lines = flags.map(({ flag, spec }) => {
    const range = spec.enum
      ? spec.enum.join('|')
      : spec.type === 'boolean'
        ? ''
        : `${spec.type}${spec.minimum !== undefined ? ` >= ${spec.minimum}` : ''}${spec.maximum !== undefined ? ` <= ${spec.maximum}` : ''}`;
    return `  --${flag.padEnd(30)} ${range.padEnd(26)} ${spec.description.split('. ')[0]} (default ${JSON.stringify(spec.default)})`;
  });
  return [
    'usage: trainyard train --model NAME --dataset fashion-mnist|synthetic|PATH --out DIR [options] [--json]',
    '',
    'PATH is a directory or file in a supported format: IDX files, CIFAR-10/100 binary batches, or a',
    "zip/tar(.gz) image folder. Defaults are the recipe of the repository's PyTorch reference (bench/torch_reference.py).",
    '',
    '  --model NAME                     an architecture from `trainyard models`',
    '  --dropout RATE                   where the architecture has dropout',
    '  --aux-logits / --no-aux-logits   GoogLeNet and Inception v3 auxiliary classifiers',
    '  --small-input                    the small-input adaptation where the family has one',
    '  --image-size H,W                 resize image-folder datasets to this size',
    '  --json                           stdout is exactly one JSON object (logs go to stderr)',
    ...lines,
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const flags = hyperparameterFlags();
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    model: { type: 'string' },
    dataset: { type: 'string' },
    out: { type: 'string' },
    dropout: { type: 'string' },
    'aux-logits': { type: 'boolean' },
    'no-aux-logits': { type: 'boolean' },
    'small-input': { type: 'boolean' },
    'image-size': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  };
  for (const { flag, spec } of flags) options[flag] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
  const { values } = parseCommandLine(argv, options);
  if (values.help) {
    process.stdout.write(help(flags) + '\n');
    return 0;
  }
  const model = values.model as string | undefined;
  const datasetArg = values.dataset as string | undefined;
  const out = values.out as string | undefined;
  if (!model || !datasetArg || !out) throw new UsageError('--model, --dataset and --out are required (see trainyard train --help)');

  const config = resolveTrainConfig(collectHyperparameters(flags, values));
  const dataset = await openDatasetArgument(datasetArg, values['image-size'] as string | undefined);
  const json = values.json === true;
  const printEpoch = (m: EpochMetrics) => {
    const line =
      `epoch ${m.epoch}/${config.epochs} loss ${m.trainLoss.toFixed(4)} acc ${m.trainAccuracy.toFixed(4)}` +
      (m.validationLoss !== null ? ` val_loss ${m.validationLoss.toFixed(4)} val_acc ${m.validationAccuracy?.toFixed(4)}` : '') +
      (m.testAccuracy !== undefined && m.testAccuracy !== null ? ` test_acc ${m.testAccuracy.toFixed(4)}` : '') +
      ` lr ${m.learningRate.toExponential(2)} ${Math.round(m.imagesPerSecond)} img/s ${m.seconds.toFixed(1)}s`;
    // With --json the run's own log already carries each epoch to stderr.
    if (!json) process.stdout.write(line + '\n');
  };

  const result = await runTraining(
    {
      architecture: model,
      modelOptions: modelOptions(values),
      dataset,
      config,
      evaluateTestEachEpoch: true,
    },
    { onEpoch: printEpoch, log: logToStderr },
  );

  const outDir = resolve(out);
  for (const file of result.model) {
    const path = join(outDir, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.bytes);
  }
  const testAccuracyByEpoch = result.history.map((m) => round4(m.testAccuracy ?? Number.NaN));
  const summary = {
    engine: result.engine,
    model,
    dataset: dataset.name,
    epochs: result.history.length,
    batch: config.batchSize,
    lr: config.learningRate,
    optimizer: config.optimizer,
    normalize: config.normalize,
    schedule: config.schedule,
    testAccuracyByEpoch,
    testAccuracy: round4(result.evaluation.top1),
    testTop5: round4(result.evaluation.top5),
    testLoss: round4(result.evaluation.loss),
    stoppedEarly: result.stoppedEarly,
    trainSeconds: Math.round(result.trainSeconds * 10) / 10,
    out: outDir,
  };
  if (json) printJson(summary);
  else
    process.stdout.write(
      `test accuracy ${(summary.testAccuracy * 100).toFixed(2)}% (top-5 ${(summary.testTop5 * 100).toFixed(2)}%) on ${summary.engine}, ${summary.trainSeconds}s of training; model written to ${outDir}\n`,
    );
  return 0;
}

function collectHyperparameters(flags: HyperparameterFlag[], values: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const { flag, path, spec } of flags) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const value = spec.type === 'boolean' ? raw : spec.type === 'string' ? raw : parseNumber(raw as string, flag);
    if (path.length === 1) config[path[0]] = value;
    else {
      const parent = (config[path[0]] ??= {}) as Record<string, unknown>;
      parent[path[1]] = value;
    }
  }
  return config;
}

function parseNumber(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} takes a number (got "${text}")`);
  return n;
}

function modelOptions(values: Record<string, unknown>) {
  const options: { dropout?: number; auxLogits?: boolean; smallInput?: boolean } = {};
  if (values.dropout !== undefined) options.dropout = parseNumber(values.dropout as string, 'dropout');
  if (values['aux-logits']) options.auxLogits = true;
  if (values['no-aux-logits']) options.auxLogits = false;
  if (values['small-input']) options.smallInput = true;
  return options;
}

async function openDatasetArgument(arg: string, imageSize: string | undefined): Promise<LoadedDataset> {
  if (arg === 'fashion-mnist' || arg === 'synthetic') return openBuiltinDataset(arg);
  const path = resolve(arg);
  const info = await stat(path).catch(() => {
    throw new UsageError(`--dataset ${arg}: no such file or directory (or use fashion-mnist or synthetic)`);
  });
  const files = info.isDirectory() ? (await readdir(path)).sort().map((name) => ({ name, path: join(path, name) })) : [{ name: arg, path }];
  const size = imageSize?.split(',').map(Number);
  if (size && (size.length !== 2 || size.some((n) => !Number.isInteger(n) || n < 1))) {
    throw new UsageError(`--image-size takes H,W (got "${imageSize}")`);
  }
  return openDataset({ files }, size ? { imageSize: [size[0], size[1]] } : {});
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
