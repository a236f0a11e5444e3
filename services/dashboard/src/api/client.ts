/**
 * The API from the browser: JSON calls with the stored key, errors as ApiRequestError carrying the
 * API's code and message, and a job's live events read with fetch (EventSource cannot send the
 * Authorization header), reconnecting with Last-Event-ID.
 */
import { SseParser } from './sse.js';

const KEY_STORAGE = 'trainyard.apiKey';

/** The key lives in sessionStorage: it is gone when the tab closes. */
export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

async function failure(response: Response): Promise<ApiRequestError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code) return new ApiRequestError(response.status, body.error.code, body.error.message ?? '', body.error.details);
  } catch {
    // not our error format
  }
  return new ApiRequestError(response.status, `http_${response.status}`, response.statusText || 'request failed');
}

/** Fired when the API refuses the key, so the app can go back to the sign-in page. */
export const onUnauthorized = new EventTarget();

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string>) } });
  if (!response.ok) {
    const error = await failure(response);
    if (response.status === 401) onUnauthorized.dispatchEvent(new Event('unauthorized'));
    throw error;
  }
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request(path)).json() as Promise<T>;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return (await request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<T>;
}

export interface JobEventMessage {
  id?: string;
  type: string;
  data: Record<string, unknown>;
}

/**
 * Follows a job's events until the stream ends after the final status or `signal` aborts; after a
 * dropped connection it reconnects with the last id it saw, so nothing is missed or repeated.
 */
export async function followJobEvents(jobId: string, onEvent: (message: JobEventMessage) => void, signal: AbortSignal): Promise<void> {
  let lastId: string | undefined;
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      const headers: Record<string, string> = { ...authHeaders(), accept: 'text/event-stream' };
      if (lastId) headers['last-event-id'] = lastId;
      const response = await fetch(`/v1/jobs/${jobId}/events`, { headers, signal });
      if (!response.ok) throw await failure(response);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      let finished = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          if (message.id) lastId = message.id;
          const data = JSON.parse(message.data) as Record<string, unknown>;
          if (message.event === 'status' && ['succeeded', 'failed', 'cancelled'].includes(String(data.status))) finished = true;
          onEvent({ id: message.id, type: message.event, data });
        }
        attempt = 0;
      }
      if (finished) return;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiRequestError && error.status < 500) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1_000 * 2 ** attempt)));
  }
}

/** Saves a response body as a file (a link cannot carry the Authorization header). */
export async function download(path: string, fileName: string): Promise<void> {
  const blob = await (await request(path)).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
