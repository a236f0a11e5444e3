/**
 * Broken and hostile uploads: each is refused with its own code, names the file and the entry, and
 * never crashes, hangs or writes anything to disk.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { isCnnError, type CnnErrorCode } from '../src/errors.js';
import { inspectDataset, openDataset, type DatasetOptions } from '../src/data/index.js';
import {
  gzipSync,
  interlacedPng,
  jpegImage,
  png,
  rawTarHeader,
  tarball,
  tempDir,
  writeFile,
  zip,
  type TarEntrySpec,
  type ZipEntrySpec,
} from './data-fixtures.js';

function rejectsWith(code: CnnErrorCode, ...fragments: string[]) {
  return (error: unknown) => {
    assert.ok(isCnnError(error, code), `expected CnnError ${code}, got ${(error as Error)?.stack ?? String(error)}`);
    for (const fragment of fragments)
      assert.ok((error as Error).message.includes(fragment), `"${(error as Error).message}" lacks "${fragment}"`);
    return true;
  };
}

const tile = (v: number) => png(4, 4, () => [v, v, v]);
/** Two valid classes, so that only the hostile entry can be what fails. */
const validImages = [
  { name: 'a/1.png', data: tile(10) },
  { name: 'a/2.png', data: tile(20) },
  { name: 'b/1.png', data: tile(200) },
  { name: 'b/2.png', data: tile(210) },
];

async function openZip(t: Parameters<typeof tempDir>[0], entries: ZipEntrySpec[], options?: DatasetOptions) {
  const dir = tempDir(t);
  return openDataset({ files: [writeFile(dir, 'upload.zip', zip(entries))] }, options);
}

async function openTar(t: Parameters<typeof tempDir>[0], entries: TarEntrySpec[], gzip = true, options?: DatasetOptions) {
  const dir = tempDir(t);
  return openDataset({ files: [writeFile(dir, gzip ? 'upload.tar.gz' : 'upload.tar', await tarball(entries, gzip))] }, options);
}

test('zip entries that climb out with ".." or are absolute are dataset_unsafe_path naming the entry', async (t) => {
  const escape = { data: tile(1) };
  await assert.rejects(
    openZip(t, [...validImages, { name: '../x.png', ...escape }]),
    rejectsWith('dataset_unsafe_path', '"upload.zip"', 'entry "../x.png"', '".."'),
  );
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/../../x.png', ...escape }]),
    rejectsWith('dataset_unsafe_path', 'a/../../x.png'),
  );
  await assert.rejects(openZip(t, [{ name: 'a\\..\\..\\x.png', ...escape }, ...validImages]), rejectsWith('dataset_unsafe_path', '".."'));
  await assert.rejects(
    openZip(t, [...validImages, { name: '/etc/x.png', ...escape }]),
    rejectsWith('dataset_unsafe_path', 'entry "/etc/x.png"', 'absolute'),
  );
  await assert.rejects(openZip(t, [...validImages, { name: 'C:/x.png', ...escape }]), rejectsWith('dataset_unsafe_path', 'absolute'));
});

test('tar entries with "..", absolute paths, symlinks, hard links or devices are dataset_unsafe_path', async (t) => {
  const png1 = tile(1);
  await assert.rejects(
    openTar(t, [...validImages, { name: '../x.png', data: png1 }]),
    rejectsWith('dataset_unsafe_path', '"upload.tar.gz"', 'entry "../x.png"'),
  );
  await assert.rejects(
    openTar(t, [...validImages, { name: '/abs/x.png', data: png1 }], false),
    rejectsWith('dataset_unsafe_path', 'entry "/abs/x.png"', 'absolute'),
  );
  await assert.rejects(
    openTar(t, [...validImages, { name: 'a/link.png', type: 'symlink', linkname: '/etc/passwd' }]),
    rejectsWith('dataset_unsafe_path', 'entry "a/link.png"', 'symbolic link', '/etc/passwd'),
  );
  await assert.rejects(
    openTar(t, [...validImages, { name: 'a/hard.png', type: 'link', linkname: 'a/1.png' }]),
    rejectsWith('dataset_unsafe_path', 'hard link'),
  );
  await assert.rejects(
    openTar(t, [...validImages, { name: 'a/pipe', type: 'fifo' }]),
    rejectsWith('dataset_unsafe_path', 'not a regular file'),
  );
});

test('a zip symlink entry is dataset_unsafe_path, and nothing was written next to the archive', async (t) => {
  const dir = tempDir(t);
  const file = writeFile(dir, 'links.zip', zip([...validImages, { name: 'a/evil.png', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]));
  const before = readdirSync(dirname(dir)).length;
  await assert.rejects(openDataset({ files: [file] }), rejectsWith('dataset_unsafe_path', 'entry "a/evil.png"', 'symbolic link'));
  await assert.rejects(
    openDataset({ files: [writeFile(dir, 'dev.zip', zip([{ name: 'a/dev', mode: 0o020644 }]))] }),
    rejectsWith('dataset_unsafe_path', 'not a regular file'),
  );
  assert.deepEqual(readdirSync(dir).sort(), ['dev.zip', 'links.zip']);
  assert.equal(readdirSync(dirname(dir)).length, before);
});

test('zip bombs stop at the limits while inflating, whatever the headers say', async (t) => {
  const zeros = Buffer.alloc(8 * 1024 * 1024); // deflates to about 8 KB
  const limits = { maxEntryBytes: 1024 * 1024, maxTotalBytes: 3 * 1024 * 1024, maxEntries: 10 };
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/bomb.png', data: zeros }], { limits }),
    rejectsWith('dataset_too_large', 'entry "a/bomb.png"', 'maxEntryBytes = 1048576'),
  );
  // The header claims 1,000 bytes; the data inflates to 8 MB. Caught as soon as it passes the claim.
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/liar.png', data: zeros, declaredSize: 1000 }], { limits }),
    (error: unknown) => {
      assert.ok(isCnnError(error, 'dataset_malformed') || isCnnError(error, 'dataset_too_large'), String(error));
      assert.match((error as Error).message, /a\/liar\.png/);
      return true;
    },
  );
  const sized = { name: 'a/x.png', data: Buffer.concat([tile(1), Buffer.alloc(900 * 1024)]) };
  await assert.rejects(
    openZip(t, [...validImages, sized, { ...sized, name: 'a/y.png' }, { ...sized, name: 'a/z.png' }, { ...sized, name: 'b/z.png' }], {
      limits,
    }),
    rejectsWith('dataset_too_large', 'maxTotalBytes'),
  );
  // Above 8 MiB an entry is inflated as a stream: the total is enforced chunk by chunk.
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/huge.png', data: Buffer.alloc(9 * 1024 * 1024) }], {
      limits: { maxTotalBytes: 3 * 1024 * 1024 },
    }),
    rejectsWith('dataset_too_large', 'entry "a/huge.png"', 'maxTotalBytes'),
  );
  const many = Array.from({ length: 11 }, (_, i) => ({ name: `a/${i}.png`, data: tile(i) }));
  await assert.rejects(openZip(t, many, { limits }), rejectsWith('dataset_too_large', 'declares 11 entries', 'maxEntries = 10'));
});

test('tar.gz bombs: a huge entry, a huge total, and a forged giant pax header', async (t) => {
  const limits = { maxEntryBytes: 1024 * 1024, maxTotalBytes: 2 * 1024 * 1024 };
  await assert.rejects(
    openTar(t, [...validImages, { name: 'a/bomb.png', data: Buffer.alloc(4 * 1024 * 1024) }], true, { limits }),
    rejectsWith('dataset_too_large', 'entry "a/bomb.png"', 'maxEntryBytes'),
  );
  const big = (name: string) => ({ name, data: Buffer.concat([tile(1), Buffer.alloc(900 * 1024)]) });
  await assert.rejects(
    openTar(t, [...validImages, big('a/x.png'), big('a/y.png'), big('b/x.png')], true, { limits }),
    rejectsWith('dataset_too_large', 'maxTotalBytes = 2097152'),
  );
  // A pax header that declares 20 MB: tar-stream would buffer all of it in memory.
  const dir = tempDir(t);
  const forged = gzipSync(
    Buffer.concat([rawTarHeader('PaxHeader', 20 * 1024 * 1024, 'x'), Buffer.alloc(20 * 1024 * 1024), Buffer.alloc(1024)]),
  );
  // Refused either by our own guard or by tar-stream's header limit (3.2 and later), never buffered.
  await assert.rejects(openDataset({ files: [writeFile(dir, 'pax.tar.gz', forged)] }), (error: unknown) => {
    rejectsWith('dataset_malformed', '"pax.tar.gz"')(error);
    assert.match((error as Error).message, /header/i);
    return true;
  });
});

test('files named as images that are not, and images too large to decode, are refused naming the entry', async (t) => {
  await assert.rejects(
    openZip(t, [...validImages, { name: 'b/fake.png', data: Buffer.from('this is not a PNG at all') }]),
    rejectsWith('dataset_malformed', 'entry "b/fake.png"', 'neither a PNG nor a JPEG'),
  );
  const corrupt = Buffer.from(tile(5));
  corrupt.fill(0x42, 41); // header intact, image data garbage
  const withCorrupt = [...validImages, { name: 'b/corrupt.png', data: corrupt }];
  await assert.rejects(openZip(t, withCorrupt), rejectsWith('dataset_malformed', 'entry "b/corrupt.png"', 'not a valid PNG image'));
  const dir = tempDir(t);
  const file = writeFile(dir, 'corrupt.zip', zip(withCorrupt));
  await assert.rejects(inspectDataset({ files: [file] }), rejectsWith('dataset_malformed', 'b/corrupt.png'));
  const quick = await inspectDataset({ files: [file] }, { decodeImages: false, testFraction: 0.4 });
  assert.equal(quick.trainSize + quick.testSize, 5, 'decodeImages: false trusts checked headers');
  const jpeg = jpegImage(16, 16, () => [1, 2, 3]);
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/cut.jpg', data: jpeg.subarray(0, jpeg.length / 2) }]),
    rejectsWith('dataset_malformed', 'entry "a/cut.jpg"', 'not a valid JPEG image'),
  );
  const huge = Buffer.from(tile(5));
  huge.writeUInt32BE(100000, 16);
  huge.writeUInt32BE(100000, 20);
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/huge.png', data: huge }]),
    rejectsWith('image_pixels_limit', 'entry "a/huge.png"', '100000x100000', 'maxImagePixels'),
  );
  // Headers summed over the archive, before anything is decoded: five 4x4 images are 80 pixels.
  await assert.rejects(
    openZip(t, [...validImages, { name: 'b/5.png', data: tile(9) }], { limits: { maxArchivePixels: 79 } }),
    rejectsWith('archive_pixels_limit', 'maxArchivePixels = 79'),
  );
  // An interlaced PNG decodes (into the right pixels); one whose data inflates to 16 MB does not.
  const gradient = (y: number, x: number): [number, number, number] => [10 * y, 20 * x, 7];
  const interlaced = await openZip(t, [...validImages, { name: 'a/3.png', data: interlacedPng(4, 4, gradient) }], { testFraction: 0.4 });
  assert.equal(interlaced.train.size + interlaced.test.size, 5);
  const all = [interlaced.train, interlaced.test].flatMap((split) => Array.from({ length: split.size }, (_, i) => [...split.read([i]).x]));
  const expected = Array.from({ length: 16 }, (_, p) => gradient(Math.floor(p / 4), p % 4))
    .flat()
    .map((v) => Math.fround(v / 255));
  assert.ok(
    all.some((x) => x.join() === expected.join()),
    'the interlaced image is among the examples, pixel for pixel',
  );
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/bomb.png', data: interlacedPng(4, 4, gradient, 16 * 1024 * 1024) }]),
    rejectsWith('dataset_malformed', 'entry "a/bomb.png"', 'does not inflate to the size its header declares'),
  );
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/anim.gif', data: Buffer.from('GIF89a') }]),
    rejectsWith('dataset_unsupported', 'a/anim.gif', 'GIF'),
  );
});

test('archives with 0 or 1 class, loose images or nothing usable are refused with a clear message', async (t) => {
  await assert.rejects(openZip(t, validImages.slice(0, 2)), rejectsWith('dataset_malformed', 'at least 2 classes', 'only "a"'));
  await assert.rejects(
    openZip(t, [{ name: 'README.md', data: Buffer.from('hi') }]),
    rejectsWith('dataset_malformed', '"upload.zip"', 'no PNG or JPEG images'),
  );
  await assert.rejects(openZip(t, []), rejectsWith('dataset_malformed', 'no PNG or JPEG images'));
  await assert.rejects(
    openZip(t, [...validImages, { name: 'loose.png', data: tile(3) }]),
    rejectsWith('dataset_malformed', 'entry "loose.png"', 'class folder'),
  );
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/deeper/x.png', data: tile(3) }]),
    rejectsWith('dataset_malformed', 'a/deeper/x.png'),
  );
  await assert.rejects(
    openZip(t, [...validImages, { name: 'a/1.png', data: tile(3) }]),
    rejectsWith('dataset_malformed', 'entry "a/1.png"', 'twice'),
  );
  await assert.rejects(
    openTar(t, [
      { name: 'train/a/1.png', data: tile(1) },
      { name: 'train/b/1.png', data: tile(1) },
      { name: 'test/c/1.png', data: tile(1) },
    ]),
    rejectsWith('dataset_malformed', 'class "c" has test images but no training images'),
  );
});

test('corrupt and truncated archives, lone images and mixed uploads are refused, never hang', async (t) => {
  const dir = tempDir(t);
  const good = zip(validImages);
  const cut = writeFile(dir, 'cut.zip', good.subarray(0, good.length - 30));
  await assert.rejects(openDataset({ files: [cut] }), rejectsWith('dataset_malformed', '"cut.zip"'));
  const garbage = writeFile(dir, 'garbage.zip', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100, 7)]));
  await assert.rejects(openDataset({ files: [garbage] }), rejectsWith('dataset_malformed', '"garbage.zip"', 'not a readable zip archive'));
  // Central directory intact, entry data cut short: read by offset, so the stream must end, not wait.
  const truncatedEntry = zip([...validImages, { name: 'b/stored.png', data: tile(9), method: 0, declaredSize: tile(9).length + 50 }]);
  await assert.rejects(
    openDataset({ files: [writeFile(dir, 'stored.zip', truncatedEntry)] }),
    rejectsWith('dataset_malformed', 'b/stored.png'),
  );
  const tgz = await tarball(validImages, true);
  const cutTgz = writeFile(dir, 'cut.tar.gz', tgz.subarray(0, Math.floor(tgz.length / 2)));
  await assert.rejects(openDataset({ files: [cutTgz] }), rejectsWith('dataset_malformed', '"cut.tar.gz"'));
  const tarBytes = await tarball(validImages, false);
  const cutTar = writeFile(dir, 'cut.tar', tarBytes.subarray(0, 1500));
  await assert.rejects(openDataset({ files: [cutTar] }), rejectsWith('dataset_malformed', '"cut.tar"'));
  const lone = writeFile(
    dir,
    'photo.jpg',
    jpegImage(8, 8, () => [1, 2, 3]),
  );
  await assert.rejects(openDataset({ files: [lone] }), rejectsWith('dataset_unsupported', '"photo.jpg"', 'single image'));
  const archive = writeFile(dir, 'ok.zip', good);
  await assert.rejects(openDataset({ files: [archive, lone] }), rejectsWith('dataset_unsupported', 'only file'));
  await assert.rejects(openDataset({ files: [archive], format: 'idx' }), rejectsWith('dataset_malformed', 'No data files'));
  await assert.rejects(openDataset({ files: [lone], format: 'imagefolder' }), rejectsWith('dataset_unsupported'));
});
