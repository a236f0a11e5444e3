/** Command-line parsing for the API client commands (jobs, datasets): flags plus positional arguments. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type OptionValues } from '../args.js';

/** Flags every client command takes. */
const CLIENT_OPTIONS = {
  api: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export function parseClientArgs(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: OptionValues & { [name: string]: string | boolean | string[] | undefined }; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options: { ...CLIENT_OPTIONS, ...options }, strict: true, allowPositionals: true });
    return parsed as never;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Exactly `count` positional arguments, named in the message when missing. */
export function positionals(values: string[], names: string[]): string[] {
  if (values.length !== names.length) {
    throw new UsageError(
      `expected ${names.map((name) => `<${name}>`).join(' ') || 'no arguments'}, got ${values.length === 0 ? 'none' : values.join(' ')}`,
    );
  }
  return values;
}

/** "key=value": the value as JSON when it parses (numbers, booleans, objects), else as a string. */
export function keyValue(text: string, flag: string): [string, unknown] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag} takes key=value (got "${text}")`);
  const raw = text.slice(at + 1);
  try {
    return [text.slice(0, at), JSON.parse(raw)];
  } catch {
    return [text.slice(0, at), raw];
  }
}

export type Subcommand = (argv: string[], env: NodeJS.ProcessEnv) => Promise<number>;

/**
 * `trainyard <group> <name> ...`: runs the named subcommand; no name prints the usage and exits 2,
 * --help anywhere prints it and exits 0, an unknown name is a usage error.
 */
export async function runSubcommand(
  group: string,
  usage: string,
  subcommands: Record<string, Subcommand>,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || rest.includes('--help') || rest.includes('-h')) {
    process.stderr.write(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  const subcommand = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!subcommand) throw new UsageError(`unknown ${group} command "${name}"\n${usage}`);
  return subcommand(rest, env);
}
