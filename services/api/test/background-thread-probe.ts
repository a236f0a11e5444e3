/** Started by background-thread.test.ts as a background thread: posts its own nice value and its workerData. */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

// /proc/thread-self/stat: the fields after the command name; nice is the 19th field of the line.
const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
parentPort!.postMessage({ nice: Number(fields[16]), workerData: workerData as unknown });
