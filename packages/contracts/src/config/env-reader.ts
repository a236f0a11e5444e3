/**
 * Reads configuration from environment variables, checking every one at start-up. All bad values are
 * reported together, each with its variable name and what it expects, so one start-up attempt shows
 * everything that must be fixed.
 */
import { redactUrl } from '../redaction.js';

export interface EnvVar<T> {
  /** The environment variable's name. */
  name: string;
  /** Used when the variable is unset or empty; leave out for "required" or "optional" parsers. */
  default?: string;
  /** One line for the README's configuration table and for error messages. */
  description: string;
  /** Turns the raw text (default applied; '' when unset) into a value, or throws with a reason. */
  parse(raw: string): T;
}

export type EnvValues<T extends Record<string, EnvVar<unknown>>> = {
  [K in keyof T]: T[K] extends EnvVar<infer V> ? V : never;
};

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function readEnv<T extends Record<string, EnvVar<unknown>>>(
  vars: T,
  env: Record<string, string | undefined> = process.env,
): EnvValues<T> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, variable] of Object.entries(vars)) {
    const given = env[variable.name];
    const raw = given === undefined || given.trim() === '' ? (variable.default ?? '') : given.trim();
    try {
      values[key] = variable.parse(raw);
    } catch (error) {
      const shown = given === undefined ? '(unset)' : JSON.stringify(redactUrl(given));
      problems.push(`${variable.name}=${shown}: ${(error as Error).message} (${variable.description})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as EnvValues<T>;
}

/** The rows of a configuration table (name, default, meaning), e.g. for the README or `--help`. */
export function describeEnv(vars: Record<string, EnvVar<unknown>>): Array<{ name: string; default: string; description: string }> {
  return Object.values(vars).map((v) => ({ name: v.name, default: v.default ?? '', description: v.description }));
}
