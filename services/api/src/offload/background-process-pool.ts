/**
 * Long-lived background processes (background-process.ts), kept per script and heap limit: starting one
 * that loads the CNN package costs a few hundred milliseconds of CPU, so a tenant's uploads each
 * starting one would cost the other tenants latency. A process serves one task at a time by message
 * ({ id, workerData } in, { id, answer } out; its script registers its task with serveTasks,
 * serve-tasks.ts); at most `maxProcesses` run per script, further tasks wait their turn in order; a
 * process idle for `idleMs` exits, returning its memory. A process that dies (its heap overflowed, it
 * crashed) rejects its task and is never reused: the next task starts a fresh one.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startBackgroundProcess } from './background-process.js';

/** The code of a task's error when its process ran out of heap (V8 ends such a process). */
export const BACKGROUND_OUT_OF_MEMORY = 'ERR_BACKGROUND_OUT_OF_MEMORY';

/** The last bytes of a process's stderr kept, to tell why it died. */
const STDERR_TAIL_BYTES = 4096;

interface Task {
  id: number;
  workerData: unknown;
  resolve: (answer: unknown) => void;
  reject: (error: Error) => void;
}

interface PooledProcess {
  child: ChildProcess;
  task?: Task;
  idleTimer?: NodeJS.Timeout;
  /** Ended once its task is answered (the pool was closed meanwhile). */
  retiring: boolean;
  stderrTail: string;
}

interface ScriptProcesses {
  script: URL;
  heapMb: number;
  processes: Set<PooledProcess>;
  waiting: Task[];
}

type ProcessMessage = { id: number; answer: unknown } | { id: number; failure: string };

export class BackgroundProcessPool {
  readonly #maxProcesses: number;
  readonly #idleMs: number;
  readonly #scripts = new Map<string, ScriptProcesses>();
  #nextId = 0;

  constructor(options: { maxProcesses: number; idleMs: number }) {
    this.#maxProcesses = options.maxProcesses;
    this.#idleMs = options.idleMs;
  }

  /** Runs one task in a process of `script` (limited to `heapMb` of heap) and resolves with its answer. */
  run(script: URL, heapMb: number, workerData: unknown): Promise<unknown> {
    const key = `${script.href} ${heapMb}`;
    let group = this.#scripts.get(key);
    if (!group) {
      group = { script, heapMb, processes: new Set(), waiting: [] };
      this.#scripts.set(key, group);
    }
    const entry = group;
    return new Promise((resolve, reject) => {
      entry.waiting.push({ id: this.#nextId++, workerData, resolve, reject });
      this.#dispatch(entry);
    });
  }

  /** The processes alive now, busy or idle, over all scripts. */
  get size(): number {
    let size = 0;
    for (const group of this.#scripts.values()) size += group.processes.size;
    return size;
  }

  /**
   * Ends every idle process now, and every busy one once its task is answered (several APIs may share
   * the pool in one process; a task in flight is never cut short). Later tasks start fresh processes.
   */
  async close(): Promise<void> {
    const exits: Array<Promise<void>> = [];
    for (const group of this.#scripts.values()) {
      for (const pooled of group.processes) {
        if (pooled.task) pooled.retiring = true;
        else exits.push(this.#retire(group, pooled));
      }
    }
    await Promise.all(exits);
  }

  #dispatch(group: ScriptProcesses): void {
    while (group.waiting.length > 0) {
      let pooled = [...group.processes].find((candidate) => !candidate.task && !candidate.retiring);
      if (!pooled) {
        if (group.processes.size >= this.#maxProcesses) return;
        pooled = this.#start(group);
      }
      const task = group.waiting.shift()!;
      clearTimeout(pooled.idleTimer);
      pooled.task = task;
      setHeld(pooled.child, true);
      pooled.child.send({ id: task.id, workerData: task.workerData });
    }
  }

  #start(group: ScriptProcesses): PooledProcess {
    const child = startBackgroundProcess(group.script, group.heapMb);
    const pooled: PooledProcess = { child, retiring: false, stderrTail: '' };
    group.processes.add(pooled);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      pooled.stderrTail = (pooled.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });
    child.on('message', (message: ProcessMessage) => {
      const task = pooled.task;
      if (!task || task.id !== message.id) return;
      pooled.task = undefined;
      if ('failure' in message) task.reject(new Error(message.failure));
      else task.resolve(message.answer);
      if (pooled.retiring) void this.#retire(group, pooled);
      else this.#idle(group, pooled);
      this.#dispatch(group);
    });
    // A process that dies is never reused: its task gets an error saying why (BACKGROUND_OUT_OF_MEMORY
    // when V8 ended it for its heap).
    child.on('error', (error) => this.#lost(group, pooled, error));
    // 'close', not 'exit': by then all of its stderr has been read.
    child.on('close', (code, signal) => this.#lost(group, pooled, exitError(pooled.stderrTail, code, signal)));
    return pooled;
  }

  /** Idle: it no longer keeps the API's process alive, and exits after idleMs without a task. */
  #idle(group: ScriptProcesses, pooled: PooledProcess): void {
    setHeld(pooled.child, false);
    pooled.idleTimer = setTimeout(() => void this.#retire(group, pooled), this.#idleMs);
    pooled.idleTimer.unref();
  }

  async #retire(group: ScriptProcesses, pooled: PooledProcess): Promise<void> {
    clearTimeout(pooled.idleTimer);
    group.processes.delete(pooled);
    const { child } = pooled;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    setHeld(child, true); // until it has exited: close() awaits it
    child.kill();
    await exited;
  }

  #lost(group: ScriptProcesses, pooled: PooledProcess, error: Error): void {
    clearTimeout(pooled.idleTimer);
    group.processes.delete(pooled);
    const task = pooled.task;
    pooled.task = undefined;
    task?.reject(error);
    this.#dispatch(group);
  }
}

/** A busy process keeps the API's process alive (its answer is awaited); an idle one does not. */
function setHeld(child: ChildProcess, held: boolean): void {
  const handles = [child, child.channel, child.stderr] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>;
  for (const handle of handles) {
    if (held) handle?.ref?.();
    else handle?.unref?.();
  }
}

function exitError(stderrTail: string, code: number | null, signal: NodeJS.Signals | null): Error {
  if (/heap out of memory|Reached heap limit/.test(stderrTail)) {
    return Object.assign(new Error('the background process ran out of heap'), { code: BACKGROUND_OUT_OF_MEMORY });
  }
  const how = signal ? `was ended by ${signal}` : `exited with code ${code}`;
  const said = stderrTail.trim().split('\n').slice(-3).join(' ');
  return new Error(`background process ${how} without an answer${said ? `: ${said}` : ''}`);
}
