/** The CLI's own configuration table (the API client commands); `trainyard start` reads the services' tables. */
import { envVar, readEnv, type EnvValues } from '@trainyard/contracts';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export const cliEnv = {
  apiUrl: envVar({
    name: 'TRAINYARD_API_URL',
    default: DEFAULT_API_URL,
    description: 'The API the client commands (jobs, datasets, weights, workers) talk to, unless --api URL is given',
    parse: (raw) => raw,
  }),
  apiKey: envVar({
    name: 'TRAINYARD_API_KEY',
    default: '',
    description: 'The API key the client commands send (an operator makes one with `trainyard keys create --tenant NAME`)',
    parse: (raw): string | undefined => raw || undefined,
  }),
};

export type CliConfig = EnvValues<typeof cliEnv>;

export function readCliConfig(env: Record<string, string | undefined> = process.env): CliConfig {
  return readEnv(cliEnv, env);
}
