import * as tf from '@tensorflow/tfjs';
import { buildModel, disposeBuiltModel, ENGINE_CANDIDATES, initEngine } from '@trainyard/cnn';
import { parseCommandLine, printJson } from '../args.js';

const HELP = `usage: trainyard doctor [--json]

Which training engines load on this machine and why each other one does not, the engine that
would be chosen and its device, and a 5-second LeNet-5 training throughput probe on it.`;

const PROBE_SECONDS = 5;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, { json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const engines: Array<{ engine: string; loads: boolean; reason: string | null; device: { kind: string; name: string } | null }> = [];
  for (const candidate of ENGINE_CANDIDATES) {
    // Loaded as it would be picked automatically, then, if that fails, as when forced by name (a
    // software WebGPU adapter loads only then).
    try {
      const loaded = await candidate.load(false);
      engines.push({
        engine: candidate.name,
        loads: true,
        reason: candidate.forcedOnly ? 'used only when forced with TRAINYARD_ENGINE' : null,
        device: loaded.device,
      });
    } catch (automatic) {
      try {
        const loaded = await candidate.load(true);
        engines.push({ engine: candidate.name, loads: true, reason: message(automatic), device: loaded.device });
      } catch (error) {
        engines.push({ engine: candidate.name, loads: false, reason: message(error), device: null });
      }
    }
  }
  const chosen = await initEngine();
  await tf.setBackend(chosen.backend);
  const probe = await lenetProbe();
  const report = { engines, chosen: { engine: chosen.name, device: chosen.device, skipped: chosen.skipped }, probe };
  if (values.json) {
    printJson(report);
    return 0;
  }
  for (const e of engines)
    process.stdout.write(
      `${e.loads ? 'loads ' : 'no    '} ${e.engine.padEnd(15)} ${e.loads ? `${e.device!.name} (${e.device!.kind})` : ''}${e.reason ? ` ${e.reason}` : ''}\n`,
    );
  process.stdout.write(`chosen: ${chosen.name} on ${chosen.device.name} (${chosen.device.kind})\n`);
  process.stdout.write(
    `LeNet-5 28x28x1 batch 64: ${probe.trainImagesPerSec} images/s training over ${probe.seconds} s (${probe.steps} steps)\n`,
  );
  return 0;
}

/** Adam steps of LeNet-5 on random data for about PROBE_SECONDS, after one untimed step. */
async function lenetProbe(): Promise<{ trainImagesPerSec: number; steps: number; seconds: number }> {
  const batch = 64;
  const built = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10 });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([batch, 28, 28, 1]);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniformInt([batch], 0, 10), 10).toFloat());
  const step = async () => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, built.training.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
    );
    await loss?.data();
    loss?.dispose();
  };
  try {
    await step();
    const start = performance.now();
    let steps = 0;
    while (performance.now() - start < PROBE_SECONDS * 1000) {
      await step();
      steps += 1;
    }
    const seconds = (performance.now() - start) / 1000;
    return { trainImagesPerSec: Math.round((steps * batch * 10) / seconds) / 10, steps, seconds: Math.round(seconds * 10) / 10 };
  } finally {
    optimizer.dispose();
    tf.dispose([x, y]);
    disposeBuiltModel(built);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
