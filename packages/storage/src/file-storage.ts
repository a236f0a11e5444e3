import { mkdir, open, readdir, rename, rmdir, stat, unlink, access, constants } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { StorageError } from './errors.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import { withRetry, type RetryPolicy } from './retry.js';
import type { ObjectInfo, PutBody, Storage } from './storage.js';

/** Temporary files live inside the root so that the final rename stays on one filesystem (atomic). */
const TEMP_DIR = '.tmp';

const TRANSIENT_FS_CODES = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EINTR', 'ETIMEDOUT']);

/** A store in a local directory: one file per key, written to a temp file then renamed into place. */
export class FileStorage implements Storage {
  readonly description: string;
  private readonly root: string;

  constructor(
    root: string,
    private readonly retry: RetryPolicy,
  ) {
    this.root = resolve(root);
    this.description = `file://${this.root}`;
  }

  async put(key: string, body: PutBody): Promise<ObjectInfo> {
    const path = this.pathOf(key);
    const write = () => this.writeAtomically(path, body);
    // A stream can be consumed once: only bytes are worth a second try.
    const info =
      body instanceof Readable ? await mapFsError(key, write) : await withRetry(this.retry, `put ${key}`, () => mapFsError(key, write));
    return { key, ...info };
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    return withRetry(this.retry, `get ${key}`, () =>
      mapFsError(key, async () => {
        const handle = await open(path, 'r');
        return handle.createReadStream();
      }),
    );
  }

  async getBytes(key: string): Promise<Uint8Array> {
    const stream = await this.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const path = this.pathOf(key);
    try {
      const info = await mapFsError(key, () => stat(path));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : null;
    } catch (error) {
      if (error instanceof StorageError && error.code === 'storage_not_found') return null;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await mapFsError(key, () => unlink(path));
    } catch (error) {
      if (!(error instanceof StorageError && error.code === 'storage_not_found')) throw error;
    }
    await this.pruneEmptyDirectories(dirname(path));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    for (const object of objects) await this.delete(object.key);
    return objects.length;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const directoryKey = slash < 0 ? '' : prefix.slice(0, slash);
    const found: ObjectInfo[] = [];
    await this.walk(directoryKey, prefix, found);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async check(): Promise<void> {
    await mapFsError('', async () => {
      await mkdir(join(this.root, TEMP_DIR), { recursive: true });
      await access(this.root, constants.R_OK | constants.W_OK);
    });
  }

  async close(): Promise<void> {}

  private pathOf(key: string): string {
    assertValidKey(key);
    if (key === TEMP_DIR || key.startsWith(`${TEMP_DIR}/`)) {
      throw new StorageError('storage_invalid_key', `storage keys may not start with "${TEMP_DIR}/"`);
    }
    const path = join(this.root, ...key.split('/'));
    // Belt and braces: assertValidKey already rules out every way out of the root.
    if (!path.startsWith(this.root + sep)) {
      throw new StorageError('storage_invalid_key', `storage key ${JSON.stringify(key)} leaves the store`);
    }
    return path;
  }

  private async writeAtomically(path: string, body: PutBody): Promise<{ size: number; lastModified: Date }> {
    const tempDir = join(this.root, TEMP_DIR);
    await mkdir(tempDir, { recursive: true });
    const tempPath = join(tempDir, randomUUID());
    const handle = await open(tempPath, 'wx');
    try {
      if (body instanceof Readable) {
        for await (const chunk of body) await handle.write(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
      } else {
        await handle.writeFile(body);
      }
      // Flushed before the rename, so a crash never leaves a complete-looking but empty file.
      await handle.sync();
      await handle.close();
      await this.renameIntoPlace(tempPath, path);
    } catch (error) {
      await handle.close().catch(() => {});
      await unlink(tempPath).catch(() => {});
      throw error;
    }
    const info = await stat(path);
    return { size: info.size, lastModified: info.mtime };
  }

  private async renameIntoPlace(tempPath: string, path: string): Promise<void> {
    // A concurrent delete may prune the directory between mkdir and rename: make it again once.
    for (let attempt = 0; ; attempt++) {
      await mkdir(dirname(path), { recursive: true });
      try {
        await rename(tempPath, path);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw error;
      }
    }
  }

  private async pruneEmptyDirectories(directory: string): Promise<void> {
    while (directory.startsWith(this.root + sep)) {
      try {
        await rmdir(directory);
      } catch {
        return; // not empty, already gone, or in use: stop here
      }
      directory = dirname(directory);
    }
  }

  private async walk(directoryKey: string, prefix: string, found: ObjectInfo[]): Promise<void> {
    const directory = directoryKey === '' ? this.root : join(this.root, ...directoryKey.split('/'));
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw toStorageError(directoryKey, error);
    }
    for (const entry of entries) {
      if (directoryKey === '' && entry.name === TEMP_DIR) continue;
      const key = directoryKey === '' ? entry.name : `${directoryKey}/${entry.name}`;
      if (entry.isDirectory()) {
        // Descend only where keys can still match the prefix.
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.walk(key, prefix, found);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await stat(join(directory, entry.name)).catch(() => null);
        if (info) found.push({ key, size: info.size, lastModified: info.mtime });
      }
    }
  }
}

async function mapFsError<T>(key: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toStorageError(key, error);
  }
}

function toStorageError(key: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
    return new StorageError('storage_not_found', `no object at ${JSON.stringify(key)}`, { cause: error });
  }
  return new StorageError('storage_failed', `local storage ${code || 'error'} on ${JSON.stringify(key)}: ${(error as Error).message}`, {
    transient: TRANSIENT_FS_CODES.has(code),
    cause: error,
  });
}
