/**
 * The task loop of a pooled background thread (background-thread-pool.ts): its script registers the
 * task once, and each message `{ id, workerData }` is answered `{ id, answer }`. A task's state lives
 * in its call, so nothing one task leaves behind reaches the next.
 */
import { parentPort } from 'node:worker_threads';

export function serveTasks(task: (workerData: unknown) => Promise<unknown>): void {
  const answer = async ({ id, workerData }: { id: number; workerData: unknown }): Promise<void> => {
    try {
      parentPort!.postMessage({ id, answer: await task(workerData) });
    } catch (error) {
      parentPort!.postMessage({ id, failure: (error as { message?: string }).message ?? String(error) });
    }
  };
  parentPort!.on('message', (message: { id: number; workerData: unknown }) => void answer(message));
}
