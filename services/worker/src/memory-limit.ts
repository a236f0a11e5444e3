/**
 * The hard memory limit of one training child (WORKER_MEMORY). The estimate at submission can be
 * wrong; this cannot: a child that goes past the limit is killed, and its job fails with
 * out_of_memory at once instead of taking the machine (and every other tenant's jobs) down with it.
 *
 * Where the cgroup v1 memory controller is writable, the child gets a cgroup of its own under the
 * worker's, with memory.limit_in_bytes (and memsw, so that it cannot swap instead) set: the kernel
 * kills it at the limit. Elsewhere (no cgroup v1, a read-only one in a container) the child runs with
 * V8's heap limit and a watchdog that reads its resident memory from /proc every WATCH_MS and kills it
 * past the limit. tfjs keeps tensors outside V8's heap, so the heap limit alone would not do.
 */
import { appendFileSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from './logger.js';

const CGROUP_V1_MEMORY = '/sys/fs/cgroup/memory';
const WATCH_MS = 250;

/** WORKER_MEMORY and WORKER_MEMORY_ENFORCEMENT: how much, and whether a cgroup may be used. */
export interface ChildMemoryLimit {
  bytes: number;
  enforcement: 'auto' | 'watchdog';
}

export interface MemoryLimit {
  readonly kind: 'cgroup' | 'watchdog';
  /** After the child ended: whether it was killed for going past the limit. */
  exceeded(): boolean;
  /** Stops watching and removes the cgroup; call once the child has exited. */
  release(): void;
}

/** node options for a child under this limit (V8's heap may not exceed it either way). */
export function memoryLimitExecArgv(limitBytes: number): string[] {
  return [`--max-old-space-size=${Math.max(64, Math.floor(limitBytes / 1024 ** 2))}`];
}

/** Puts the child under the limit: its own cgroup where possible (and allowed), else the watchdog. */
export function limitMemory(pid: number, limit: ChildMemoryLimit, logger: Logger, onExceeded: () => void): MemoryLimit {
  const cgroup = limit.enforcement === 'auto' ? cgroupFor(pid, limit.bytes, logger) : null;
  return cgroup ?? watchdog(pid, limit.bytes, onExceeded);
}

/** The worker's own memory cgroup folder (cgroup v1), or null. */
function ownCgroupFolder(): string | null {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((entry) => entry.split(':')[1]?.split(',').includes('memory'));
    const path = line?.split(':')[2];
    return path === undefined ? null : join(CGROUP_V1_MEMORY, path);
  } catch {
    return null;
  }
}

function cgroupFor(pid: number, limitBytes: number, logger: Logger): MemoryLimit | null {
  const parent = ownCgroupFolder();
  if (!parent) return null;
  const folder = join(parent, `trainyard-child-${pid}`);
  try {
    mkdirSync(folder);
  } catch {
    return null; // not writable here: the watchdog instead
  }
  try {
    writeFileSync(join(folder, 'memory.limit_in_bytes'), String(limitBytes));
    try {
      writeFileSync(join(folder, 'memory.memsw.limit_in_bytes'), String(limitBytes));
    } catch {
      // no swap accounting on this kernel: the limit above is all there is
    }
    appendFileSync(join(folder, 'cgroup.procs'), String(pid));
  } catch (error) {
    logger.warn({ err: error, folder }, 'could not put the training child in a memory cgroup; watching its memory instead');
    removeCgroup(folder);
    return null;
  }
  return {
    kind: 'cgroup',
    exceeded: () => {
      const control = readOr(join(folder, 'memory.oom_control'));
      const kills = /^oom_kill (\d+)$/m.exec(control)?.[1];
      return kills !== undefined ? Number(kills) > 0 : Number(readOr(join(folder, 'memory.failcnt')) || 0) > 0;
    },
    release: () => removeCgroup(folder),
  };
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function removeCgroup(folder: string): void {
  try {
    rmdirSync(folder);
  } catch {
    // still has a task (a zombie not yet reaped) or already gone; the kernel removes nothing itself
  }
}

/** Resident memory of a process from /proc, in bytes, or null once it is gone. */
function residentBytes(pid: number): number | null {
  const status = readOr(`/proc/${pid}/status`);
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb === undefined ? null : Number(kb) * 1024;
}

function watchdog(pid: number, limitBytes: number, onExceeded: () => void): MemoryLimit {
  let over = false;
  const timer = setInterval(() => {
    const rss = residentBytes(pid);
    if (rss === null) return clearInterval(timer);
    if (rss <= limitBytes) return;
    over = true;
    clearInterval(timer);
    onExceeded();
  }, WATCH_MS);
  timer.unref();
  return {
    kind: 'watchdog',
    exceeded: () => over,
    release: () => clearInterval(timer),
  };
}
