import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Thrown for a bad command line; main prints the message and the command's usage. */
export class UsageError extends Error {}

/** Flag values by name: strings for valued flags, booleans for switches, undefined when absent. */
export type OptionValues = Record<string, string | boolean | undefined>;

export function parseCommandLine(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  settings: { allowPositionals?: boolean } = {},
): { values: OptionValues; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: settings.allowPositionals ?? false }) as {
      values: OptionValues;
      positionals: string[];
    };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** "28,28,1" -> [28, 28, 1] */
export function parseShape(text: string, flag: string): [number, number, number] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new UsageError(`${flag} takes H,W,C as three positive integers, e.g. 28,28,1 (got "${text}")`);
  }
  return parts as [number, number, number];
}

/** A flag's string value, or undefined when it is absent. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function parsePositiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive integer (got "${text}")`);
  return n;
}

/** Prints JSON on stdout as one line: with --json, stdout carries nothing else. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Logs go to stderr as one JSON object per line, like the services' pino logs. */
export function logToStderr(msg: string, fields?: object): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }) + '\n');
}
