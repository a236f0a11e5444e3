/** The workers that reported a heartbeat within the last minute (packages/queue worker-registry.ts). */
import type { WorkerView } from '@trainyard/contracts';
import { WorkerRegistry, type WorkerStatus } from '@trainyard/queue';

/** A worker silent for longer is gone (as GET /metrics counts them). */
const ALIVE_MS = 60_000;
/** Job views and the workers list read the heartbeats at most this often. */
const CACHE_MS = 1_000;

export class LiveWorkers {
  private readonly registry: WorkerRegistry;
  private cached: { at: number; statuses: Promise<WorkerStatus[]> } | null = null;

  constructor(settings: { redisUrl: string; prefix: string }) {
    this.registry = new WorkerRegistry(settings);
  }

  async list(now = Date.now()): Promise<WorkerStatus[]> {
    if (this.cached === null || now - this.cached.at > CACHE_MS) {
      this.cached = { at: now, statuses: this.registry.list() };
      this.cached.statuses.catch(() => (this.cached = null));
    }
    return (await this.cached.statuses).filter((status) => now - Date.parse(status.at) <= ALIVE_MS);
  }

  /** The accelerator classes some live worker serves. */
  async classes(): Promise<Set<'gpu' | 'cpu'>> {
    return new Set((await this.list()).map((status) => status.accelerator ?? 'cpu'));
  }

  async close(): Promise<void> {
    await this.registry.close();
  }
}

export function toWorkerView(status: WorkerStatus): WorkerView {
  return {
    id: status.workerId,
    engine: status.engine ?? null,
    device: status.device ?? null,
    accelerator: status.accelerator ?? null,
    runningJobs: status.runningJobIds.length,
    imagesPerSecond: status.imagesPerSecond,
    lastSeenAt: status.at,
  };
}
