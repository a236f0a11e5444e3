/**
 * Long-lived background threads (background-thread.ts), kept per script and heap limit: starting a
 * thread that loads the CNN package costs ~190 ms of CPU, partly on V8's shared threads that a
 * thread's nice value does not cover, so a tenant's uploads each starting one cost the other
 * tenants latency. A thread serves one task at a time by message ({ id, workerData } in, { id,
 * answer } out; its script registers its task with serveTasks, serve-tasks.ts); at most `maxThreads`
 * run per script, further tasks wait their turn in order; a thread idle for `idleMs` exits, returning
 * its memory. A thread that dies (its heap overflowed, it crashed) rejects its task with the Worker's
 * error and is never reused: the next task starts a fresh one.
 */
import type { Worker } from 'node:worker_threads';
import { startBackgroundThread } from './background-thread.js';

interface Task {
  id: number;
  workerData: unknown;
  resolve: (answer: unknown) => void;
  reject: (error: Error) => void;
}

interface PooledThread {
  worker: Worker;
  task?: Task;
  idleTimer?: NodeJS.Timeout;
  /** Terminated once its task is answered (the pool was closed meanwhile). */
  retiring: boolean;
}

interface ScriptThreads {
  script: URL;
  heapMb: number;
  threads: Set<PooledThread>;
  waiting: Task[];
}

type ThreadMessage = { id: number; answer: unknown } | { id: number; failure: string };

export class BackgroundThreadPool {
  readonly #maxThreads: number;
  readonly #idleMs: number;
  readonly #scripts = new Map<string, ScriptThreads>();
  #nextId = 0;

  constructor(options: { maxThreads: number; idleMs: number }) {
    this.#maxThreads = options.maxThreads;
    this.#idleMs = options.idleMs;
  }

  /** Runs one task in a thread of `script` (limited to `heapMb` of heap) and resolves with its answer. */
  run(script: URL, heapMb: number, workerData: unknown): Promise<unknown> {
    const key = `${script.href} ${heapMb}`;
    let group = this.#scripts.get(key);
    if (!group) {
      group = { script, heapMb, threads: new Set(), waiting: [] };
      this.#scripts.set(key, group);
    }
    const entry = group;
    return new Promise((resolve, reject) => {
      entry.waiting.push({ id: this.#nextId++, workerData, resolve, reject });
      this.#dispatch(entry);
    });
  }

  /** The threads alive now, busy or idle, over all scripts. */
  get size(): number {
    let size = 0;
    for (const group of this.#scripts.values()) size += group.threads.size;
    return size;
  }

  /**
   * Ends every idle thread now, and every busy one once its task is answered (several APIs may share
   * the pool in one process; a task in flight is never cut short). Later tasks start fresh threads.
   */
  async close(): Promise<void> {
    const exits: Array<Promise<number>> = [];
    for (const group of this.#scripts.values()) {
      for (const thread of group.threads) {
        if (thread.task) thread.retiring = true;
        else exits.push(this.#retire(group, thread));
      }
    }
    await Promise.all(exits);
  }

  #dispatch(group: ScriptThreads): void {
    while (group.waiting.length > 0) {
      let thread = [...group.threads].find((candidate) => !candidate.task && !candidate.retiring);
      if (!thread) {
        if (group.threads.size >= this.#maxThreads) return;
        thread = this.#start(group);
      }
      const task = group.waiting.shift()!;
      clearTimeout(thread.idleTimer);
      thread.task = task;
      thread.worker.ref();
      thread.worker.postMessage({ id: task.id, workerData: task.workerData });
    }
  }

  #start(group: ScriptThreads): PooledThread {
    const worker = startBackgroundThread(group.script, { resourceLimits: { maxOldGenerationSizeMb: group.heapMb } });
    const thread: PooledThread = { worker, retiring: false };
    group.threads.add(thread);
    worker.on('message', (message: ThreadMessage) => {
      const task = thread.task;
      if (!task || task.id !== message.id) return;
      thread.task = undefined;
      if ('failure' in message) task.reject(new Error(message.failure));
      else task.resolve(message.answer);
      if (thread.retiring) void this.#retire(group, thread);
      else this.#idle(group, thread);
      this.#dispatch(group);
    });
    // A thread that dies is never reused: its task gets the Worker's error (ERR_WORKER_OUT_OF_MEMORY
    // included), or, if it exited without one, an Error saying so.
    worker.on('error', (error) => this.#lost(group, thread, error));
    worker.on('exit', (code) => this.#lost(group, thread, new Error(`background thread exited with code ${code} without an answer`)));
    return thread;
  }

  /** Idle: it no longer keeps the process alive, and exits after idleMs without a task. */
  #idle(group: ScriptThreads, thread: PooledThread): void {
    thread.worker.unref();
    thread.idleTimer = setTimeout(() => void this.#retire(group, thread), this.#idleMs);
    thread.idleTimer.unref();
  }

  #retire(group: ScriptThreads, thread: PooledThread): Promise<number> {
    clearTimeout(thread.idleTimer);
    group.threads.delete(thread);
    return thread.worker.terminate();
  }

  #lost(group: ScriptThreads, thread: PooledThread, error: Error): void {
    clearTimeout(thread.idleTimer);
    group.threads.delete(thread);
    const task = thread.task;
    thread.task = undefined;
    task?.reject(error);
    this.#dispatch(group);
  }
}
