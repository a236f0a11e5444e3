/**
 * Run as its own process at worker start (`node engine-probe.js`): loads the training engine exactly
 * as a training child will (same environment, same TRAINYARD_ENGINE) and prints what it is and what it
 * computes on, as one JSON line. The worker's own process never loads TensorFlow.js.
 */
import { initEngine } from '@trainyard/cnn';

try {
  const engine = await initEngine();
  process.stdout.write(`${JSON.stringify({ engine: engine.name, device: engine.device, skipped: engine.skipped })}\n`);
  process.exit(0);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(1);
}
