/**
 * MAX_CONCURRENT_REQUESTS_PER_TENANT: the requests of one tenant that this API process works on at
 * once. The rest wait their turn in the order they came, so a tenant that opens fifty connections and
 * fires on all of them at once reaches Postgres, Redis and the event loop `limit` requests at a time,
 * like any other tenant, instead of pushing everyone else's queries to the back of the line. At most
 * `maxWaiting` wait per tenant; past that a request is refused (429 concurrent_requests_limit).
 */
import { ApiError } from '@trainyard/contracts';

interface TenantLine {
  running: number;
  waiting: Array<() => void>;
}

export class TenantRequestGate {
  private readonly lines = new Map<string, TenantLine>();

  constructor(
    readonly limit: number,
    readonly maxWaiting: number,
  ) {}

  /**
   * Resolves, once the tenant's turn comes, with the function that ends the request's turn (once).
   * A request whose client goes away (`abandoned`) while it waits leaves the line:
   * client_closed_request.
   */
  async enter(tenantId: string, abandoned: AbortSignal): Promise<() => void> {
    let line = this.lines.get(tenantId);
    if (!line) this.lines.set(tenantId, (line = { running: 0, waiting: [] }));
    if (line.running >= this.limit) {
      if (line.waiting.length >= this.maxWaiting) {
        throw new ApiError(
          'concurrent_requests_limit',
          `The tenant already has ${line.running} requests in progress and ${line.waiting.length} waiting; MAX_CONCURRENT_REQUESTS_PER_TENANT allows ${this.limit} at once.`,
          { limit: this.limit, variable: 'MAX_CONCURRENT_REQUESTS_PER_TENANT', retryAfterSeconds: 1 },
        );
      }
      await this.waitInLine(line, abandoned);
    } else {
      line.running += 1;
    }
    let left = false;
    const current = line;
    return () => {
      if (left) return;
      left = true;
      const next = current.waiting.shift();
      if (next) next();
      else if (--current.running === 0) this.lines.delete(tenantId);
    };
  }

  /** The turn is handed over by the request that leaves (above), which keeps `running` as it is. */
  private waitInLine(line: TenantLine, abandoned: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const turn = () => {
        abandoned.removeEventListener('abort', leave);
        resolve();
      };
      const leave = () => {
        const at = line.waiting.indexOf(turn);
        if (at >= 0) line.waiting.splice(at, 1);
        reject(new ApiError('client_closed_request'));
      };
      if (abandoned.aborted) return leave();
      abandoned.addEventListener('abort', leave, { once: true });
      line.waiting.push(turn);
    });
  }
}
