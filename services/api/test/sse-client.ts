/** A Server-Sent Events connection over fetch, for the tests (what a browser's EventSource does), parsed by the client package. */
import { SseParser, type SseMessage } from '@trainyard/client';

export interface SseConnection {
  status: number;
  headers: Headers;
  /** Messages and comments as they arrive; `ended` settles when the server closes the stream. */
  messages: SseMessage[];
  comments: string[];
  /** The body of a non-200 answer. */
  errorBody: Promise<string>;
  ended: Promise<void>;
  abort(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const read = async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    const parser = new SseParser((comment) => comments.push(comment));
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        messages.push(...parser.push(decoder.decode(chunk, { stream: true })));
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  };
  return {
    status: response.status,
    headers: response.headers,
    messages,
    comments,
    errorBody: response.status === 200 ? Promise.resolve('') : response.text(),
    ended: response.status === 200 ? read() : Promise.resolve(),
    abort: () => controller.abort(),
  };
}
