/** A small Server-Sent Events reader over fetch, for the tests (what a browser's EventSource does). */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

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
    let buffer = '';
    let current: Partial<SseMessage> & { data?: string } = {};
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            if (current.data !== undefined) messages.push(current as SseMessage);
            current = {};
          } else if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
            else if (field === 'id') current.id = value;
            else if (field === 'event') current.event = value;
          }
        }
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
