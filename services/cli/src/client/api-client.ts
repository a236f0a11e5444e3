/**
 * The CLI's client of the service: @trainyard/client with the URL from --api (or TRAINYARD_API_URL)
 * and the key from TRAINYARD_API_KEY; errors are TrainyardApiError with the API's code and message
 * (main prints "[code] message" and the details).
 */
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { TrainyardClient } from '@trainyard/client';
import { UsageError } from '../args.js';
import { DEFAULT_API_URL, readCliConfig } from '../config.js';

export { DEFAULT_API_URL };

/** The client for the command line's --api and the environment's TRAINYARD_API_KEY. */
export function clientFromEnvironment(apiUrl: string | undefined, env: Record<string, string | undefined>): TrainyardClient {
  const config = readCliConfig(env);
  const key = config.apiKey;
  if (!key) throw new UsageError('set TRAINYARD_API_KEY to an API key (an operator makes one with `trainyard keys create --tenant NAME`)');
  const given = apiUrl ?? config.apiUrl;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(`--api must be a URL such as ${DEFAULT_API_URL} (got "${given}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--api must be an http:// or https:// URL (got "${given}")`);
  return new TrainyardClient({ baseUrl: url.href, apiKey: key });
}

/**
 * A multipart upload whose files are streamed from disk, never read whole into memory. A file that
 * is missing is a usage error, found before anything is sent.
 */
export async function uploadForm(parts: Array<{ name: string; file: string }>, fields: Record<string, string>): Promise<FormData> {
  for (const part of parts) {
    const info = await stat(part.file).catch(() => null);
    if (!info?.isFile()) throw new UsageError(`no such file: ${part.file}`);
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const part of parts) form.append(part.name, await openAsBlob(part.file), basename(part.file));
  return form;
}
