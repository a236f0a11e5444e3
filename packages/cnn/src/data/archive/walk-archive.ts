/** One entry point over the archive formats we read. */
import type { ArchiveLimits } from '../options.js';
import type { ArchiveKind, EntryVisitor } from './archive-entry.js';
import { walkTar } from './tar-walker.js';
import { walkZip } from './zip-walker.js';

/**
 * Calls `visit` for every regular file of the archive, in archive order, one at a time. Throws
 * dataset_unsafe_path for unsafe names and links, dataset_too_large past a limit, dataset_malformed
 * for a corrupt archive. Nothing is ever written to disk.
 */
export function walkArchive(path: string, file: string, kind: ArchiveKind, limits: ArchiveLimits, visit: EntryVisitor): Promise<void> {
  return kind === 'zip' ? walkZip(path, file, limits, visit) : walkTar(path, file, kind === 'tar.gz', limits, visit);
}
