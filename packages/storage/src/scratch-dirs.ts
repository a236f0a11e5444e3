/**
 * Private temporary folders (uploads being checked, datasets downloaded for training, sample reads).
 * Each name carries the id of the process that made it, so that what a killed process left behind
 * can be found and removed: by its parent after the process ended (`removeScratchDirsOf`), and by
 * any process at start-up (`removeOrphanedScratchDirs`), which removes the folders of processes that
 * no longer exist and leaves those of live ones (other workers sharing the folder) alone.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const NAME = /^trainyard-[A-Za-z0-9_.-]+-p(\d+)-[A-Za-z0-9]{6}$/;

/** `purpose`: letters, digits, "_", "." or "-" (e.g. "upload", "dataset-<uuid>"). */
export function createScratchDir(parent: string, purpose: string, pid = process.pid): Promise<string> {
  return mkdtemp(join(parent, `trainyard-${purpose}-p${pid}-`));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

async function removeMatching(parent: string, remove: (pid: number) => boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = NAME.exec(name);
    if (!match || !remove(Number(match[1]))) continue;
    await rm(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Removes the folders that process `pid` made under `parent` (it has ended); returns their names. */
export function removeScratchDirsOf(parent: string, pid: number): Promise<string[]> {
  return removeMatching(parent, (owner) => owner === pid);
}

/** Removes the folders of processes that no longer run; returns their names. */
export function removeOrphanedScratchDirs(parent: string): Promise<string[]> {
  return removeMatching(parent, (owner) => owner !== process.pid && !isAlive(owner));
}
