/**
 * Loopback ports for the servers a process starts for itself (`trainyard start`'s private Redis and
 * embedded Postgres, the private servers tests restart, the service benchmarks' API). Node only: a
 * subpath of its own, so that the contracts' main entry stays free of node:net.
 */
import { connect, createServer } from 'node:net';

/** Whether something accepts TCP connections on host:port (within `timeoutMs`). */
export function isListening(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
