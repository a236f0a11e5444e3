/** What the archive walkers hand to their visitor, whatever the archive format. */
import type { Chunks } from '../byte-stream.js';

export type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

interface ArchiveEntry {
  /** Path inside the archive: checked safe, "/"-separated, without "." segments. */
  path: string;
  /** Size its header claims: a hint for allocation, never trusted (the bytes are counted). */
  declaredSize: number;
  /**
   * The entry's bytes, counted against the limits as they are inflated. Call at most once, during
   * the visit; bytes left unread are skipped.
   */
  chunks(): Chunks;
}

export type EntryVisitor = (entry: ArchiveEntry) => Promise<void>;
