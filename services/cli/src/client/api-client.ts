/**
 * The CLI's client of the service: @trainyard/client with the URL from --api (or TRAINYARD_API_URL)
 * and the key from TRAINYARD_API_KEY; errors are TrainyardApiError with the API's code and message
 * (main prints "[code] message" and the details).
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { TrainyardClient } from '@trainyard/client';
import { UsageError } from '../args.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** The client for the command line's --api and the environment's TRAINYARD_API_KEY. */
export function clientFromEnvironment(apiUrl: string | undefined, env: Record<string, string | undefined>): TrainyardClient {
  const key = env.TRAINYARD_API_KEY?.trim();
  if (!key) throw new UsageError('set TRAINYARD_API_KEY to an API key (an operator makes one with `trainyard keys create --tenant NAME`)');
  const given = apiUrl ?? env.TRAINYARD_API_URL ?? DEFAULT_API_URL;
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

/** A multipart upload whose files are streamed from disk, never read whole into memory. */
export async function uploadForm(parts: Array<{ name: string; file: string }>, fields: Record<string, string>): Promise<FormData> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const part of parts) form.append(part.name, await openAsBlob(part.file), basename(part.file));
  return form;
}
