/** Backend-specific behaviour: retries across an S3 outage, atomic local writes, configuration errors. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { openStorage, isStorageError } from '../src/index.js';
import { startS3rver } from '../src/testing/index.js';

const scratch = await mkdtemp(join(tmpdir(), 'trainyard-storage-faults-'));
after(() => rm(scratch, { recursive: true, force: true }));

test('an S3 write during an outage is retried and lands once the server is back', async () => {
  const directory = join(scratch, 'outage');
  let server = await startS3rver({ directory });
  const port = server.port;
  let restarted: Promise<void> | undefined;
  const retries: number[] = [];
  const storage = openStorage(server.storageUrl(), {
    env: server.env,
    retry: {
      attempts: 50,
      baseDelayMs: 50,
      maxDelayMs: 200,
      onRetry: ({ attempt }) => {
        retries.push(attempt);
        // Bring the server back only after the store has seen it fail twice.
        if (attempt === 2) {
          restarted = startS3rver({ directory, port }).then((next) => {
            server = next;
          });
        }
      },
    },
  });
  try {
    await storage.put('before', 'x');
    await server.stop();
    await storage.put('during-outage', 'checkpoint bytes');
    await restarted;
    assert.ok(retries.length >= 2, `retried ${retries.length} times`);
    assert.equal(Buffer.from(await storage.getBytes('during-outage')).toString(), 'checkpoint bytes');
    assert.equal(Buffer.from(await storage.getBytes('before')).toString(), 'x');
  } finally {
    await storage.close();
    await server.stop();
  }
});

test('when retries run out the error is storage_unavailable', async () => {
  const server = await startS3rver({ directory: join(scratch, 'gone') });
  const storage = openStorage(server.storageUrl(), { env: server.env, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } });
  await server.stop();
  try {
    await assert.rejects(storage.put('k', 'v'), (error) => {
      assert.ok(isStorageError(error, 'storage_unavailable'), String(error));
      assert.equal(error.transient, true);
      assert.match(error.message, /after 3 attempts/);
      return true;
    });
    await assert.rejects(storage.check(), (error) => isStorageError(error, 'storage_unavailable'));
  } finally {
    await storage.close();
  }
});

test('a missing bucket fails check() without retrying forever', async () => {
  const server = await startS3rver({ directory: join(scratch, 'nobucket') });
  const storage = openStorage('s3://no-such-bucket/', { env: server.env, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  try {
    await assert.rejects(storage.check(), (error) => isStorageError(error, 'storage_invalid_config'));
  } finally {
    await storage.close();
    await server.stop();
  }
});

test('local writes are atomic: a stream that fails midway leaves no object and no temp file', async () => {
  const root = join(scratch, 'atomic');
  const storage = openStorage(`file://${root}`);
  await storage.put('obj', 'old content');
  let sent = 0;
  const failing = new Readable({
    read() {
      if (sent++ < 3) this.push(Buffer.alloc(64 * 1024, 1));
      else this.destroy(new Error('client went away'));
    },
  });
  await assert.rejects(storage.put('obj', failing));
  assert.equal(Buffer.from(await storage.getBytes('obj')).toString(), 'old content');
  assert.deepEqual(await readdir(join(root, '.tmp')), []);
  assert.deepEqual(
    (await storage.list('')).map((o) => o.key),
    ['obj'],
  );
});

test('local keys cannot reach the temp area or outside the root', async () => {
  const storage = openStorage(`file://${join(scratch, 'keys')}`);
  await assert.rejects(storage.put('.tmp/x', 'x'), (error) => isStorageError(error, 'storage_invalid_key'));
  await assert.rejects(storage.put('a/../../x', 'x'), (error) => isStorageError(error, 'storage_invalid_key'));
  await storage.put('a/b', 'x');
  await storage.delete('a/b');
  // Empty directories are pruned, so deleted prefixes leave nothing behind on disk.
  assert.deepEqual((await readdir(join(scratch, 'keys'))).sort(), ['.tmp']);
});

test('STORAGE_URL forms and bad settings', () => {
  assert.equal(openStorage(undefined).description, `file://${resolve('data/storage')}`);
  assert.equal(openStorage('file:relative/dir').description, `file://${resolve('relative/dir')}`);
  assert.equal(openStorage('file://./relative/dir').description, `file://${resolve('relative/dir')}`);
  assert.equal(openStorage('./data/storage').description, `file://${resolve('data/storage')}`);
  assert.equal(openStorage('file:///abs/dir').description, 'file:///abs/dir');
  assert.match(openStorage('s3://bucket-1/some/prefix/', { env: {} }).description, /^s3:\/\/bucket-1\/some\/prefix\/$/);
  const bad: Array<[string | undefined, NodeJS.ProcessEnv]> = [
    ['http://example.com/x', {}],
    ['s3://Bad_Bucket/', {}],
    ['s3://bucket/', { S3_ENDPOINT: 'ftp://x' }],
    ['s3://bucket/', { S3_ACCESS_KEY_ID: 'only-the-id' }],
    ['s3://bucket/', { S3_FORCE_PATH_STYLE: 'maybe' }],
  ];
  for (const [url, env] of bad) {
    assert.throws(
      () => openStorage(url, { env }),
      (error) => isStorageError(error, 'storage_invalid_config'),
      String(url),
    );
  }
});
