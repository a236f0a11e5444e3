/**
 * An answer sent before its request's body has been read whole (an upload over UPLOAD_LIMIT or the
 * tenant's quota, a prediction over PREDICT_BODY_LIMIT or PREDICT_MAX_IMAGES) leaves the rest of that
 * body on the connection. Node parses the next request of a kept-alive connection only after it, and
 * nothing reads it once the route has given up: a client that had sent its whole body and then reused
 * the connection (as fetch, curl and requests.Session do) waited for the keep-alive timeout (72 s)
 * and saw its next request fail.
 *
 * The rest is read and dropped instead, so the connection serves the next request, as Node does for a
 * body no route ever started to read. A body that goes on past DISCARD_LIMIT_BYTES, or sends nothing
 * for `idleMs` (UPLOAD_IDLE_TIMEOUT_SECONDS), has its connection closed: reading more of it costs
 * more than the client's reconnecting, and a refused request holds no turn or upload slot to bound it.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';

/** What fits in the socket buffers of both ends on Linux, where a client that "sent it all" has put it. */
export const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;

function discardRest(raw: IncomingMessage, idleMs: number): void {
  const socket = raw.socket;
  let discarded = 0;
  const idle = setTimeout(() => socket.destroy(), idleMs);
  raw.unpipe(); // from the multipart parser or file stream that stopped reading
  raw.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) socket.destroy();
    else idle.refresh();
  });
  raw.once('close', () => clearTimeout(idle));
  raw.resume();
}

export function registerUnreadBodyDiscard(app: FastifyInstance, settings: { idleMs: number }): void {
  // As the answer goes out, not after: an upload refused part-way would otherwise go on being parsed
  // by the multipart reader, without bound, until its answer had been written.
  app.addHook('onSend', async (request, _reply, payload) => {
    const raw = request.raw;
    if (!raw.complete && !raw.destroyed && raw.socket?.destroyed === false) discardRest(raw, settings.idleMs);
    return payload;
  });
}
