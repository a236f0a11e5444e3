/**
 * Image-folder datasets: after the archive survey has read every image's header, choose the size and
 * channels, then walk the archive a second time decoding each image straight into its slot of one
 * byte buffer. Two passes keep memory at the size of the decoded dataset; a single pass would have to
 * hold every compressed image until the most common size is known.
 */
import type { InputShape } from '../types.js';
import type { ArchiveKind } from './archive/archive-entry.js';
import { walkArchive } from './archive/walk-archive.js';
import { whereKey, type AssembledData, type RecordPick } from './assemble.js';
import { readAll } from './byte-stream.js';
import { malformed, tooLarge, tooManyClasses } from './dataset-errors.js';
import { decodeImage } from './image/decode-image.js';
import type { ImageHeader } from './image/image-header.js';
import { resizeBilinear, toChannels } from './image/pixels.js';
import { layOutImageFolder, type LabelledPath } from './image-folder-layout.js';
import type { ResolvedDatasetOptions } from './options.js';

export interface SurveyedImage {
  path: string;
  header: ImageHeader;
}

export interface ArchiveFile {
  path: string;
  name: string;
  kind: ArchiveKind;
}

/**
 * `keepPixels` false reads only what a summary needs; `decode` false also skips decoding (the headers
 * were checked by the survey, the pixel data is not).
 */
export async function readImageFolder(
  archive: ArchiveFile,
  images: SurveyedImage[],
  options: ResolvedDatasetOptions,
  mode: { keepPixels: boolean; decode: boolean; pick?: RecordPick },
): Promise<AssembledData> {
  const file = archive.name;
  if (options.classNames) options.log('classNames is ignored for image folders: the folder names are the classes', { file });
  const layout = layOutImageFolder(
    file,
    images.map((i) => i.path),
  );
  if (layout.classNames.length > options.limits.maxClasses) {
    throw tooManyClasses({ file }, layout.classNames.length, { option: 'maxClasses', value: options.limits.maxClasses });
  }
  const [height, width] = options.imageSize ?? mostCommonSize(images);
  const channels = options.channels ?? (images.every((i) => i.header.grayscale) ? 1 : 3);
  const shape: InputShape = [height, width, channels];
  const ordered: LabelledPath[] = [...layout.train, ...(layout.test ?? [])];
  const perImage = height * width * channels;
  const totalBytes = ordered.length * perImage;
  if (totalBytes > options.limits.maxDecodedBytes) {
    throw tooLarge(
      { file },
      `${ordered.length} images of ${shape.join('x')} need ${totalBytes} bytes of memory; choose a smaller imageSize`,
      {
        option: 'maxDecodedBytes',
        value: options.limits.maxDecodedBytes,
      },
    );
  }
  options.log('reading image folder', {
    file,
    images: ordered.length,
    classes: layout.classNames.length,
    shape,
    presetSize: !!options.imageSize,
  });
  const pixels = mode.keepPixels ? new Uint8Array(totalBytes) : null;
  if (mode.keepPixels || mode.decode) {
    const headers = new Map(images.map((i) => [i.path, i.header]));
    const slots = new Map(ordered.map((p, i) => [p.path, i]));
    const filled = new Uint8Array(ordered.length);
    const picked = mode.pick?.selection.get(whereKey({ file }));
    await walkArchive(archive.path, file, archive.kind, options.limits, async (entry) => {
      const slot = slots.get(entry.path);
      if (slot === undefined) return;
      if (mode.pick) {
        if (picked?.has(slot)) {
          const image = new Uint8Array(perImage);
          const header = headers.get(entry.path) as ImageHeader;
          const decoded = decodeImage(await readAll(entry.chunks(), Number.POSITIVE_INFINITY, () => new Error('unreachable')), header, {
            file,
            entry: entry.path,
          });
          const converted = toChannels(decoded.data, decoded.width * decoded.height, decoded.channels, channels);
          resizeBilinear(converted, decoded.height, decoded.width, channels, image, height, width);
          mode.pick.sink(whereKey({ file }), slot, image, shape);
        }
        return;
      }
      const where = { file, entry: entry.path };
      const header = headers.get(entry.path) as ImageHeader;
      const bytes = await readAll(entry.chunks(), Number.POSITIVE_INFINITY, () => new Error('unreachable'));
      const decoded = decodeImage(bytes, header, where);
      if (pixels) {
        const converted = toChannels(decoded.data, decoded.width * decoded.height, decoded.channels, channels);
        resizeBilinear(
          converted,
          decoded.height,
          decoded.width,
          channels,
          pixels.subarray(slot * perImage, (slot + 1) * perImage),
          height,
          width,
        );
      }
      filled[slot] = 1;
    });
    const missing = mode.pick ? -1 : filled.indexOf(0);
    if (missing >= 0) throw malformed({ file, entry: ordered[missing].path }, 'was listed by the archive but could not be read back');
  }
  const trainCount = layout.train.length;
  const labelsOf = (paths: LabelledPath[]) => Int32Array.from(paths, (p) => p.classIndex);
  // The archive's images are its records, numbered by their slot: training images first, then test ones.
  const key = whereKey({ file });
  return {
    format: 'imagefolder',
    name: options.name ?? 'imagefolder',
    classNames: layout.classNames,
    train: {
      where: { file },
      shape,
      labels: labelsOf(layout.train),
      pixels: pixels ? pixels.subarray(0, trainCount * perImage) : null,
      parts: [{ key, first: 0, count: trainCount }],
    },
    test: layout.test && {
      where: { file },
      shape,
      labels: labelsOf(layout.test),
      pixels: pixels ? pixels.subarray(trainCount * perImage) : null,
      parts: [{ key, first: trainCount, count: layout.test.length }],
    },
  };
}

/** The most frequent height x width; ties go to the larger image, then the taller. */
function mostCommonSize(images: SurveyedImage[]): [number, number] {
  const counts = new Map<string, { size: [number, number]; count: number }>();
  for (const { header } of images) {
    const key = `${header.height}x${header.width}`;
    const seen = counts.get(key) ?? { size: [header.height, header.width], count: 0 };
    seen.count++;
    counts.set(key, seen);
  }
  const area = (s: [number, number]) => s[0] * s[1];
  const best = [...counts.values()].sort((a, b) => b.count - a.count || area(b.size) - area(a.size) || b.size[0] - a.size[0])[0];
  return best.size;
}
