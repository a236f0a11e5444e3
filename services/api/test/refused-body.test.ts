/**
 * A request answered before its body was read whole (here an upload over UPLOAD_LIMIT, refused as it
 * streams) over a real kept-alive connection, as a client that has written its whole body and then
 * reuses the connection sees it: the connection answers the next request, unless the rest of the body
 * is over the discard limit or stalls, and then it is closed rather than left hanging.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startTestApi, type TestApi } from './helpers.js';
import { DISCARD_LIMIT_BYTES } from '../src/http/unread-body.js';

let api: TestApi;
let port: number;
let auth: { authorization: string };
before(async () => {
  api = await startTestApi({ UPLOAD_LIMIT: '8kb', UPLOAD_IDLE_TIMEOUT_SECONDS: '1' });
  port = Number(new URL(await api.app.listen({ port: 0, host: '127.0.0.1' })).port);
  auth = await api.authFor('refused-body');
});
after(async () => {
  await api?.close();
});

/** One HTTP/1.1 connection, written and read by hand, so that nothing but the test decides when it is reused or closed. */
class RawConnection {
  private received = Buffer.alloc(0);
  private closed = false;
  private readonly changed = new EventTarget();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.changed.dispatchEvent(new Event('change'));
    });
    socket.on('error', () => {}); // a reset is seen as the close that follows it
    socket.on('close', () => {
      this.closed = true;
      this.changed.dispatchEvent(new Event('change'));
    });
  }

  static async open(): Promise<RawConnection> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** The status of the next whole answer, or 'closed' when the connection closes first; fails after `ms`. */
  async nextAnswer(ms = 10_000): Promise<number | 'closed'> {
    const deadline = Date.now() + ms;
    for (;;) {
      const headEnd = this.received.indexOf('\r\n\r\n');
      if (headEnd >= 0) {
        const head = this.received.subarray(0, headEnd).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (this.received.length >= headEnd + 4 + length) {
          this.received = this.received.subarray(headEnd + 4 + length);
          return Number(head.split(' ')[1]);
        }
      }
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.changed.addEventListener('change', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A dataset upload of one file part of `fileBytes` bytes; `sent` of the body's bytes are written (all by default). */
function writeUpload(connection: RawConnection, fileBytes: number, sent?: number): void {
  const boundary = 'trainyard-refused-body';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="images"; filename="train-images-idx3-ubyte"\r\n` +
        'content-type: application/octet-stream\r\n\r\n',
    ),
    Buffer.alloc(fileBytes, 7),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  connection.write(
    `POST /v1/datasets HTTP/1.1\r\nhost: trainyard\r\nauthorization: ${auth.authorization}\r\n` +
      `content-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${body.length}\r\n\r\n`,
  );
  connection.write(body.subarray(0, sent ?? body.length));
}

function writeListJobs(connection: RawConnection): void {
  connection.write(`GET /v1/jobs HTTP/1.1\r\nhost: trainyard\r\nauthorization: ${auth.authorization}\r\n\r\n`);
}

test('the connection of an upload refused part-way answers its next request', async () => {
  for (const fileBytes of [64 * 1024, 3 * 1024 * 1024]) {
    const connection = await RawConnection.open();
    try {
      writeUpload(connection, fileBytes);
      writeListJobs(connection);
      assert.equal(await connection.nextAnswer(), 413, `${fileBytes} bytes`);
      assert.equal(await connection.nextAnswer(), 200, `the request after ${fileBytes} bytes`);
    } finally {
      connection.destroy();
    }
  }
});

test('a refused body longer than the discard limit, or one that stalls, has its connection closed', async () => {
  const long = await RawConnection.open();
  try {
    writeUpload(long, DISCARD_LIMIT_BYTES + 4 * 1024 * 1024);
    writeListJobs(long);
    assert.equal(await long.nextAnswer(), 413);
    assert.equal(await long.nextAnswer(), 'closed');
  } finally {
    long.destroy();
  }

  const stalled = await RawConnection.open();
  try {
    writeUpload(stalled, 3 * 1024 * 1024, 1024 * 1024);
    assert.equal(await stalled.nextAnswer(), 413);
    // UPLOAD_IDLE_TIMEOUT_SECONDS=1: closed a second after the last byte, not when the keep-alive timeout ends.
    assert.equal(await stalled.nextAnswer(5_000), 'closed');
  } finally {
    stalled.destroy();
  }
});
