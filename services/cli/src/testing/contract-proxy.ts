/**
 * A proxy in front of a live API for the end-to-end tests: it forwards every request unchanged and
 * checks every answer against the API's own OpenAPI document (@trainyard/contracts/testing), so the
 * CLI, the dashboard and the README's commands are checked too. Streams (events, downloads) pass
 * through as they come; their status and headers are checked, each event of an event stream against
 * the events' schema, and no bytes are held.
 */
import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseParser } from '@trainyard/client';
import { ResponseContract } from '@trainyard/contracts/testing';

export interface ContractProxy {
  url: string;
  /** Every mismatch seen so far, one line each. */
  problems: string[];
  close(): Promise<void>;
}

const STREAMED = /^(text\/event-stream|application\/(gzip|octet-stream))/;

export async function startContractProxy(apiUrl: string): Promise<ContractProxy> {
  const document = await (await fetch(`${apiUrl}/openapi.json`)).json();
  const contract = new ResponseContract(document);
  const target = new URL(apiUrl);
  const problems: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = forward(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        const contentType = String(answer.headers['content-type'] ?? '');
        const observed = {
          method: incoming.method ?? 'GET',
          url: incoming.url ?? '/',
          status: answer.statusCode ?? 0,
          headers: answer.headers,
        };
        if (STREAMED.test(contentType)) {
          problems.push(...contract.check({ ...observed, body: '' }));
          if (contentType.startsWith('text/event-stream')) {
            // Each event's data is checked against the events' schema as it passes.
            const parser = new SseParser();
            answer.setEncoding('utf8');
            answer.on('data', (text: string) => {
              for (const message of parser.push(text)) problems.push(...contract.checkEvent(message.event, message.data));
            });
          }
          answer.pipe(outgoing);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          outgoing.write(chunk);
        });
        answer.on('end', () => {
          problems.push(...contract.check({ ...observed, body: Buffer.concat(chunks).toString('utf8') }));
          outgoing.end();
        });
      },
    );
    upstream.on('error', () => outgoing.destroy());
    outgoing.on('close', () => {
      upstream.destroy();
      // An answer that came before the whole body (a 413): the rest is dropped, as the API drops it, so that
      // the client's connection serves its next request.
      if (!incoming.complete) incoming.resume();
    });
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    problems,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
