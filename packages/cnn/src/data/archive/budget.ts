/**
 * Counts what an archive makes us read and stops at the limits: a zip bomb is a small file whose
 * entries inflate to gigabytes, so every count is of bytes actually produced, never of what headers say
 * (headers are checked too, only to fail early).
 */
import { tooLarge } from '../dataset-errors.js';
import type { ArchiveLimits } from '../options.js';

export class ArchiveBudget {
  private entries = 0;
  private totalBytes = 0;

  constructor(
    private readonly file: string,
    private readonly limits: ArchiveLimits,
  ) {}

  countEntry(entry: string): void {
    this.entries++;
    if (this.entries > this.limits.maxEntries) {
      throw tooLarge({ file: this.file, entry }, `the archive has more than ${this.limits.maxEntries} entries`, {
        option: 'maxEntries',
        value: this.limits.maxEntries,
      });
    }
  }

  checkEntryCount(declared: number): void {
    if (declared > this.limits.maxEntries) {
      throw tooLarge({ file: this.file }, `the archive declares ${declared} entries`, {
        option: 'maxEntries',
        value: this.limits.maxEntries,
      });
    }
  }

  checkDeclaredSize(entry: string, bytes: number): void {
    if (bytes > this.limits.maxEntryBytes) {
      throw tooLarge({ file: this.file, entry }, `the entry declares ${bytes} uncompressed bytes`, {
        option: 'maxEntryBytes',
        value: this.limits.maxEntryBytes,
      });
    }
  }

  /** Adds bytes produced by inflating the archive as a whole (or any entry of it). */
  addTotal(bytes: number, entry?: string): void {
    this.totalBytes += bytes;
    if (this.totalBytes > this.limits.maxTotalBytes) {
      throw tooLarge({ file: this.file, entry }, `the archive inflates to more than ${this.limits.maxTotalBytes} bytes`, {
        option: 'maxTotalBytes',
        value: this.limits.maxTotalBytes,
      });
    }
  }

  /** Throws once one entry has produced more than maxEntryBytes. */
  checkEntryBytes(entry: string, bytesSoFar: number): void {
    if (bytesSoFar > this.limits.maxEntryBytes) {
      throw tooLarge({ file: this.file, entry }, `the entry inflates to more than ${this.limits.maxEntryBytes} bytes`, {
        option: 'maxEntryBytes',
        value: this.limits.maxEntryBytes,
      });
    }
  }
}
