/**
 * Run as a child process of the API (never imported by it): builds every architecture once with
 * TensorFlow.js at its native input and default classes, and prints { name: parameters } as JSON on
 * stdout. Kept out of the API process so that tfjs and the models' memory never live there.
 */
import { architectureParameterCount, initEngine, listArchitectures } from '@trainyard/cnn';

await initEngine();
const counts: Record<string, number | null> = {};
for (const info of listArchitectures()) {
  try {
    counts[info.name] = architectureParameterCount(info.name, { inputShape: info.nativeInputShape, classes: info.defaultClasses });
  } catch {
    counts[info.name] = null;
  }
}
process.stdout.write(JSON.stringify(counts));
