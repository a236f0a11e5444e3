/**
 * One delivery attempt: a signed POST to the checked, pinned address (webhook-target.ts), answered
 * within the timeout or abandoned; redirects are not followed (a 3xx is a failed attempt), and the
 * receiver's body is read only so far as to free the connection.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pinnedLookup, resolveTarget, TargetRefused, type TargetPolicy } from './webhook-target.js';
import { signatureHeader } from './signature.js';

export interface OutgoingDelivery {
  url: string;
  secret: string;
  /** webhook-id: the event's id, the same for every attempt. */
  id: string;
  body: string;
}

export interface AttemptOutcome {
  delivered: boolean;
  responseStatus: number | null;
  error: string | null;
  durationMs: number;
}

/** The most of a receiver's answer that is read before the connection is closed. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export async function sendDelivery(delivery: OutgoingDelivery, policy: TargetPolicy, timeoutMs: number): Promise<AttemptOutcome> {
  const started = performance.now();
  const finish = (outcome: Omit<AttemptOutcome, 'durationMs'>): AttemptOutcome => ({
    ...outcome,
    durationMs: Math.round(performance.now() - started),
  });
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    const target = await resolveTarget(new URL(delivery.url), policy);
    const timestamp = Math.floor(Date.now() / 1000);
    const status = await post(target.url, {
      lookup: pinnedLookup(target),
      signal: deadline,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(delivery.body)),
        'user-agent': 'Trainyard-Webhooks/1',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(delivery.secret, delivery.id, timestamp, delivery.body),
      },
      body: delivery.body,
    });
    if (status >= 200 && status < 300) return finish({ delivered: true, responseStatus: status, error: null });
    const why = status >= 300 && status < 400 ? 'a redirect, which is not followed' : 'not 2xx';
    return finish({ delivered: false, responseStatus: status, error: `HTTP ${status} (${why})` });
  } catch (error) {
    if (error instanceof TargetRefused) return finish({ delivered: false, responseStatus: null, error: `refused: ${error.message}` });
    if (deadline.aborted) return finish({ delivered: false, responseStatus: null, error: `no answer within ${timeoutMs / 1000} s` });
    const code = (error as NodeJS.ErrnoException).code;
    return finish({ delivered: false, responseStatus: null, error: `${code ? `${code}: ` : ''}${(error as Error).message}` });
  }
}

function post(
  url: URL,
  options: { lookup: ReturnType<typeof pinnedLookup>; signal: AbortSignal; headers: Record<string, string>; body: string },
): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, { method: 'POST', headers: options.headers, lookup: options.lookup, signal: options.signal, agent: false });
    request.on('error', reject);
    request.on('response', (response: IncomingMessage) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) response.destroy();
      });
      response.on('error', () => resolve(response.statusCode ?? 0));
      response.on('close', () => resolve(response.statusCode ?? 0));
    });
    request.end(options.body);
  });
}
