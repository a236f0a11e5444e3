/**
 * One behavioural suite run against every backend: local disk and S3 (a real s3rver on loopback).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { openStorage, isStorageError, type Storage } from '../src/index.js';
import { startS3rver, type S3rverProcess } from '../src/testing/index.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stream that yields `total` bytes in uneven chunks, like a network upload. */
function chunkedStream(bytes: Buffer): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= bytes.length) return this.push(null);
      const size = 1 + ((offset * 7919) % 700_000);
      this.push(bytes.subarray(offset, offset + size));
      offset += size;
    },
  });
}

function contractSuite(name: string, open: () => Promise<Storage>) {
  describe(`storage contract: ${name}`, () => {
    let storage: Storage;
    before(async () => {
      storage = await open();
    });
    after(async () => {
      await storage.close();
    });

    test('check() passes on a reachable store', async () => {
      await storage.check();
    });

    test('bytes and strings round-trip with head and exists', async () => {
      const bytes = randomBytes(1234);
      const info = await storage.put('a/b/bytes.bin', bytes);
      assert.equal(info.size, 1234);
      assert.deepEqual(Buffer.from(await storage.getBytes('a/b/bytes.bin')), bytes);
      await storage.put('a/b/text.json', '{"ok":true}', { contentType: 'application/json' });
      assert.equal(Buffer.from(await storage.getBytes('a/b/text.json')).toString(), '{"ok":true}');
      const head = await storage.head('a/b/bytes.bin');
      assert.equal(head?.size, 1234);
      assert.ok(head!.lastModified instanceof Date);
      assert.equal(await storage.exists('a/b/bytes.bin'), true);
      assert.equal(await storage.exists('a/b/missing.bin'), false);
      assert.equal(await storage.head('a/b/missing.bin'), null);
    });

    test('a streamed put larger than one multipart part arrives intact', async () => {
      const bytes = randomBytes(17 * 1024 * 1024 + 333);
      const info = await storage.put('big/blob.bin', chunkedStream(bytes));
      assert.equal(info.size, bytes.length);
      const back = await readAll(await storage.get('big/blob.bin'));
      assert.equal(back.length, bytes.length);
      assert.ok(back.equals(bytes), 'content differs');
      assert.equal((await storage.head('big/blob.bin'))?.size, bytes.length);
    });

    test('put replaces an existing object', async () => {
      await storage.put('replace/me', 'first version, longer');
      await storage.put('replace/me', 'second');
      assert.equal(Buffer.from(await storage.getBytes('replace/me')).toString(), 'second');
    });

    test('getting a missing object is a storage_not_found error', async () => {
      await assert.rejects(storage.get('nothing/here'), (error) => isStorageError(error, 'storage_not_found'));
      await assert.rejects(storage.getBytes('nothing/here'), (error) => isStorageError(error, 'storage_not_found'));
    });

    test('list is sorted, matches partial prefixes and returns keys relative to the store', async () => {
      for (const key of ['l/2', 'l/10', 'l/1', 'l/sub/x', 'lz/other', 'm/unrelated']) await storage.put(key, key);
      const all = await storage.list('l/');
      assert.deepEqual(
        all.map((o) => o.key),
        ['l/1', 'l/10', 'l/2', 'l/sub/x'],
      );
      assert.deepEqual(
        (await storage.list('l/1')).map((o) => o.key),
        ['l/1', 'l/10'],
      );
      assert.deepEqual(
        (await storage.list('l')).map((o) => o.key),
        ['l/1', 'l/10', 'l/2', 'l/sub/x', 'lz/other'],
      );
      assert.equal(all.find((o) => o.key === 'l/sub/x')?.size, 'l/sub/x'.length);
      assert.deepEqual(await storage.list('no-such-prefix/'), []);
    });

    test('delete is idempotent and deletePrefix removes exactly the prefix', async () => {
      for (const key of ['d/1', 'd/2', 'd/deep/3', 'dd/keep']) await storage.put(key, key);
      await storage.delete('d/1');
      await storage.delete('d/1');
      assert.equal(await storage.exists('d/1'), false);
      assert.equal(await storage.deletePrefix('d/'), 2);
      assert.deepEqual(
        (await storage.list('d')).map((o) => o.key),
        ['dd/keep'],
      );
      assert.equal(await storage.deletePrefix('d/'), 0);
    });

    test('invalid keys are refused before anything is touched', async () => {
      for (const key of ['', '../escape', 'a/../../escape', '/absolute', 'a//b', 'a/./b', 'a\\b', 'nul\u0000', 'x'.repeat(1025)]) {
        await assert.rejects(storage.put(key, 'x'), (error) => isStorageError(error, 'storage_invalid_key'), `put ${JSON.stringify(key)}`);
        await assert.rejects(storage.get(key), (error) => isStorageError(error, 'storage_invalid_key'), `get ${JSON.stringify(key)}`);
      }
      await assert.rejects(storage.list('../'), (error) => isStorageError(error, 'storage_invalid_key'));
    });
  });
}

const scratch = await mkdtemp(join(tmpdir(), 'trainyard-storage-'));
after(() => rm(scratch, { recursive: true, force: true }));

contractSuite('local disk', async () => openStorage(`file://${join(scratch, 'disk')}`));

let s3rver: S3rverProcess;
contractSuite('s3 (s3rver)', async () => {
  s3rver = await startS3rver({ directory: join(scratch, 's3rver') });
  return openStorage(s3rver.storageUrl('tenant-prefix/'), { env: s3rver.env });
});
after(async () => {
  await s3rver?.stop();
});
