/**
 * The service's HTTP API for the CLI: the key from TRAINYARD_API_KEY as a bearer header, JSON in
 * and out, errors as ApiClientError with the API's code and message (main prints "[code] message"),
 * and a job's live events read from the SSE route, reconnecting with Last-Event-ID.
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../args.js';
import { SseParser } from './sse.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export class ApiClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    // main prints "[code] message": the details (which field, which rule) belong in it.
    super(details === undefined ? message : `${message}\n${JSON.stringify(details, null, 2)}`);
    this.name = 'ApiClientError';
  }
}

export interface JobEvent {
  id?: string;
  type: string;
  data: Record<string, unknown>;
}

const FINISHED = ['succeeded', 'failed', 'cancelled'];

export class ApiClient {
  private readonly base: string;

  constructor(apiUrl: string, private readonly key: string) {
    let url: URL;
    try {
      url = new URL(apiUrl);
    } catch {
      throw new UsageError(`--api must be a URL such as ${DEFAULT_API_URL} (got "${apiUrl}")`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--api must be an http:// or https:// URL (got "${apiUrl}")`);
    this.base = url.href.replace(/\/$/, '');
  }

  /** The client for the command line's --api and the environment's TRAINYARD_API_KEY. */
  static fromEnvironment(apiUrl: string | undefined, env: Record<string, string | undefined>): ApiClient {
    const key = env.TRAINYARD_API_KEY?.trim();
    if (!key) throw new UsageError('set TRAINYARD_API_KEY to an API key (an operator makes one with `trainyard keys create --tenant NAME`)');
    return new ApiClient(apiUrl ?? env.TRAINYARD_API_URL ?? DEFAULT_API_URL, key);
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${this.key}`, ...(init.headers as Record<string, string> | undefined) },
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiClientError('unreachable', `cannot reach the API at ${this.base}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, 0);
    }
    if (!response.ok) throw await ApiClient.failure(response);
    return response;
  }

  async get<T>(path: string): Promise<T> {
    return (await this.request(path)).json() as Promise<T>;
  }

  async post<T>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const init: RequestInit = { method: 'POST', headers };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json', ...headers };
    }
    return (await this.request(path, init)).json() as Promise<T>;
  }

  /** Uploads files as multipart parts, streamed from disk. */
  async upload<T>(path: string, parts: Array<{ name: string; file: string }>, fields: Record<string, string>): Promise<T> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    for (const part of parts) form.append(part.name, await openAsBlob(part.file), basename(part.file));
    return (await this.request(path, { method: 'POST', body: form })).json() as Promise<T>;
  }

  /**
   * Calls `onEvent` for each of the job's events until the final status (returned), reconnecting
   * after a dropped connection with the last id seen, so that no event is missed or repeated.
   */
  async followEvents(jobId: string, onEvent: (event: JobEvent) => void, signal?: AbortSignal): Promise<string | null> {
    let lastId: string | undefined;
    for (let attempt = 0; !signal?.aborted; attempt++) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastId) headers['last-event-id'] = lastId;
        const response = await this.request(`/v1/jobs/${encodeURIComponent(jobId)}/events`, { headers, signal });
        const parser = new SseParser();
        const decoder = new TextDecoder();
        let final: string | null = null;
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
            if (message.id) lastId = message.id;
            const data = JSON.parse(message.data) as Record<string, unknown>;
            if (message.event === 'status' && FINISHED.includes(String(data.status))) final = String(data.status);
            onEvent({ id: message.id, type: message.event, data });
          }
          attempt = 0;
        }
        if (final) return final;
      } catch (error) {
        if (signal?.aborted) return null;
        if (error instanceof ApiClientError && error.status !== 0 && error.status < 500) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** attempt)));
    }
    return null;
  }

  private static async failure(response: Response): Promise<ApiClientError> {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
      if (body.error?.code) return new ApiClientError(body.error.code, body.error.message ?? '', response.status, body.error.details);
    } catch {
      // not our error format (a proxy's page, say)
    }
    return new ApiClientError(`http_${response.status}`, `${response.status} ${response.statusText}: ${text.slice(0, 200)}`, response.status);
  }
}
