/** A real HTTP server on loopback that receives webhook deliveries and answers what the test says. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

interface ReceivedDelivery {
  /** The request's path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedDelivery[];
  /** The status of the next answers (default 200); a function decides per request. */
  answer: number | ((request: { url: string; headers: IncomingHttpHeaders; body: string }) => number | 'hang');
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<WebhookReceiver> {
  const hanging = new Set<() => void>();
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received: [],
    answer: 200,
    close: () =>
      new Promise((resolve) => {
        hanging.forEach((release) => release());
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = request.url ?? '/';
      const status = typeof receiver.answer === 'number' ? receiver.answer : receiver.answer({ url, headers: request.headers, body });
      if (status === 'hang') {
        hanging.add(() => response.destroy());
        return;
      }
      receiver.received.push({ url, headers: request.headers, body, status });
      response.writeHead(status, status >= 300 && status < 400 ? { location: 'http://127.0.0.1:1/elsewhere' } : {}).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
  return receiver;
}
