/** The API's configuration: the variables shared with the worker plus the API's own (contracts). */
import { apiEnv, commonEnv, readEnv, type EnvValues } from '@trainyard/contracts';

export const apiConfigVars = { ...commonEnv, ...apiEnv };

export type ApiConfig = EnvValues<typeof apiConfigVars>;

/** Reads and checks every variable; throws ConfigError listing each bad value. */
export function readApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  return readEnv(apiConfigVars, env);
}
