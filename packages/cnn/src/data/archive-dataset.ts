/**
 * A dataset uploaded as one archive: a folder per class of images, or the data files of MNIST or
 * CIFAR (cifar-10-binary.tar.gz as distributed). A first walk surveys every entry (safety, limits,
 * image headers, what each data file is); a second reads what the survey chose.
 */
import type { ArchiveKind } from './archive/archive-entry.js';
import { walkArchive } from './archive/walk-archive.js';
import type { AssembledData, RecordPick } from './assemble.js';
import { gunzipIfGzip, readAll, readHead } from './byte-stream.js';
import { classifyDataFile, DataFileCollector, type DataFileRole } from './data-files.js';
import { malformed, tooManyPixels, unsupported, datasetProblem, type Where } from './dataset-errors.js';
import type { DatasetFile, DatasetFormat } from './dataset-types.js';
import { readImageFolder, type SurveyedImage } from './image-folder.js';
import { checkImagePixels, readImageHeader } from './image/image-header.js';
import type { ResolvedDatasetOptions } from './options.js';
import { HEAD_BYTES } from './sniff.js';

const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'jpe', 'jfif']);
const OTHER_IMAGE_EXTENSIONS = new Set(['gif', 'bmp', 'webp', 'tif', 'tiff', 'heic', 'heif', 'avif', 'ppm', 'pgm', 'svg']);

interface DataEntry {
  role: DataFileRole;
  gzipped: boolean;
}

export interface ReadMode {
  keepPixels: boolean;
  /** Image folders: decode every image (true) or trust the checked headers (false). */
  decode: boolean;
  /** Only these records, to `pick.sink` (keepPixels false). */
  pick?: RecordPick;
}

export async function readArchiveDataset(
  file: DatasetFile,
  kind: ArchiveKind,
  format: DatasetFormat | undefined,
  options: ResolvedDatasetOptions,
  mode: ReadMode,
): Promise<AssembledData> {
  const images: SurveyedImage[] = [];
  const dataEntries = new Map<string, DataEntry>();
  const seen = new Set<string>();
  let ignored = 0;
  // Every header is read (and counted) in this first walk; the second walk alone decodes.
  let archivePixels = 0;
  await walkArchive(file.path, file.name, kind, options.limits, async (entry) => {
    const where: Where = { file: file.name, entry: entry.path };
    if (seen.has(entry.path)) throw malformed(where, 'appears twice in the archive');
    seen.add(entry.path);
    if (isSystemJunk(entry.path)) {
      ignored++;
      return;
    }
    const extension = entry.path.split('.').pop()?.toLowerCase() ?? '';
    if (IMAGE_EXTENSIONS.has(extension)) {
      const bytes = await readAll(entry.chunks(), Number.POSITIVE_INFINITY, () => new Error('unreachable'));
      const header = readImageHeader(bytes, where);
      checkImagePixels(header, where, options.limits.maxImagePixels);
      archivePixels += header.width * header.height;
      if (archivePixels > options.limits.maxArchivePixels) {
        throw tooManyPixels(
          'archive_pixels_limit',
          { file: file.name },
          `the images up to entry "${entry.path}" have ${archivePixels} pixels together`,
          { option: 'maxArchivePixels', value: options.limits.maxArchivePixels },
          archivePixels,
        );
      }
      images.push({ path: entry.path, header });
      return;
    }
    if (OTHER_IMAGE_EXTENSIONS.has(extension)) {
      throw unsupported(where, `is a ${extension.toUpperCase()} image; only PNG and JPEG images are supported`);
    }
    if (format === 'imagefolder') {
      ignored++;
      return;
    }
    let gzipped = false;
    const head = await readHead(
      gunzipIfGzip(entry.chunks(), where, (g) => (gzipped = g)),
      HEAD_BYTES,
    );
    const role = roleInArchive(where, head, gzipped ? undefined : entry.declaredSize, format);
    if (role && role.type !== 'ignored') dataEntries.set(entry.path, { role, gzipped });
    else ignored++;
  });
  options.log('surveyed archive', { file: file.name, images: images.length, dataFiles: dataEntries.size, ignored });

  const wantsImages = format === 'imagefolder' || (format === undefined && dataEntries.size === 0);
  if (wantsImages) {
    if (images.length === 0) {
      throw malformed({ file: file.name }, 'contains no PNG or JPEG images in class folders (nor IDX or CIFAR data files)');
    }
    return readImageFolder({ path: file.path, name: file.name, kind }, images, options, mode);
  }
  if (format === undefined && images.length > 0) {
    throw datasetProblem(
      'dataset_unsupported',
      `"${file.name}" holds both images and IDX/CIFAR data files; give the format (imagefolder, idx, cifar10 or cifar100) to choose.`,
    );
  }
  return readDataEntries(file, kind, dataEntries, options, mode);
}

async function readDataEntries(
  file: DatasetFile,
  kind: ArchiveKind,
  dataEntries: Map<string, DataEntry>,
  options: ResolvedDatasetOptions,
  mode: ReadMode,
): Promise<AssembledData> {
  const collector = new DataFileCollector(options, mode.keepPixels, mode.pick);
  await walkArchive(file.path, file.name, kind, options.limits, async (entry) => {
    const data = dataEntries.get(entry.path);
    if (!data) return;
    const where: Where = { file: file.name, entry: entry.path };
    await collector.add(where, data.role, gunzipIfGzip(entry.chunks(), where), data.gzipped ? undefined : entry.declaredSize);
  });
  return collector.finish();
}

/** What an entry is; with a format, entries of other kinds (a README, say) are ignored, not refused. */
function roleInArchive(where: Where, head: Uint8Array, size: number | undefined, format: DatasetFormat | undefined): DataFileRole | null {
  const detected = classifyDataFile(where, head, size);
  if (format === undefined || detected === null) return detected;
  if (format === 'idx') return detected.type === 'idx' ? detected : null;
  if (detected.type === 'cifar') return { type: 'cifar', variant: format as 'cifar10' | 'cifar100' };
  return detected.type === 'idx' ? null : detected;
}

/** Files that operating systems add to archives: macOS resource forks and .DS_Store, Windows thumbnails. */
function isSystemJunk(path: string): boolean {
  const segments = path.split('/');
  const base = segments[segments.length - 1].toLowerCase();
  return segments.some((s) => s.startsWith('.') || s === '__MACOSX') || base === 'thumbs.db' || base === 'desktop.ini';
}
