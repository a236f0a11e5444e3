import { createGzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';

/**
 * The exported model's files as one .tar.gz stream (GET /v1/jobs/{id}/model), entries in the given
 * order with fixed dates and modes so that the same model always gives the same archive.
 */
export function modelBundle(files: Array<{ path: string; bytes: Uint8Array }>, mtime: Date): Readable {
  const pack = tar.pack();
  for (const file of files) {
    pack.entry({ name: file.path, size: file.bytes.byteLength, mode: 0o644, mtime }, Buffer.from(file.bytes));
  }
  pack.finalize();
  return pack.pipe(createGzip());
}

/** The same archive as bytes. */
export async function modelBundleBytes(files: Array<{ path: string; bytes: Uint8Array }>, mtime: Date): Promise<Uint8Array> {
  return new Uint8Array(await buffer(modelBundle(files, mtime)));
}
