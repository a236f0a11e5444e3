import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError } from './errors.js';

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Told about each failed try that will be retried (for logs). */
  onRetry?: (info: { operation: string; attempt: number; delayMs: number; error: unknown }) => void;
}

// About 30 s of trying in total: long enough to ride out a storage restart, short enough that a job
// fails with a clear code instead of hanging.
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 8, baseDelayMs: 250, maxDelayMs: 8000 };

/**
 * Runs `operation` until it succeeds, it throws a non-transient error, or the attempts run out.
 * Waits grow exponentially with full jitter so that many workers do not retry in step.
 */
export async function withRetry<T>(policy: RetryPolicy, describe: string, operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const transient = error instanceof StorageError && error.transient;
      if (!transient) throw error;
      if (attempt >= policy.attempts) {
        throw new StorageError('storage_unavailable', `${describe} failed after ${attempt} attempts: ${(error as Error).message}`, {
          transient: true,
          cause: error,
        });
      }
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(Math.random() * ceiling);
      policy.onRetry?.({ operation: describe, attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
