/**
 * A DNS server on loopback for tests (RFC 1035 over UDP): it answers A queries from a table the test
 * changes at will (a rebinding attacker's server, in a few lines), AAAA and other queries with no
 * records, and counts the queries per name.
 */
import { createSocket } from 'node:dgram';

export interface TestDnsServer {
  /** host:port, for WEBHOOK_DNS_SERVERS. */
  address: string;
  /** IPv4 answers by name (lower case, without the trailing dot). */
  records: Map<string, string>;
  /** A queries received, by name. */
  queries: Map<string, number>;
  close(): Promise<void>;
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const socket = createSocket('udp4');
  const records = new Map<string, string>();
  const queries = new Map<string, number>();
  socket.on('message', (query, peer) => {
    // Header (12 bytes), then the question: length-prefixed labels ending with 0, QTYPE, QCLASS.
    const labels: string[] = [];
    let offset = 12;
    while (query[offset]! > 0) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]!).toString('ascii'));
      offset += query[offset]! + 1;
    }
    const questionEnd = offset + 5;
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    const address = type === 1 ? records.get(name) : undefined;
    if (type === 1) queries.set(name, (queries.get(name) ?? 0) + 1);
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // the query's id
    header.writeUInt16BE(records.has(name) || type !== 1 ? 0x8180 : 0x8183, 2); // a response; NXDOMAIN for unknown A names
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(address ? 1 : 0, 6);
    const parts = [header, query.subarray(12, questionEnd)];
    if (address) {
      const answer = Buffer.alloc(16);
      answer.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      answer.writeUInt16BE(1, 2); // A
      answer.writeUInt16BE(1, 4); // IN
      answer.writeUInt32BE(0, 6); // TTL 0: nothing may be cached
      answer.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, index) => answer.writeUInt8(Number(octet), 12 + index));
      parts.push(answer);
    }
    socket.send(Buffer.concat(parts), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    records,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
