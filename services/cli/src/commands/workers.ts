import { printJson } from '../args.js';
import { clientFromEnvironment } from '../client/api-client.js';
import { parseClientArgs } from '../client/command-line.js';

const HELP = `usage: trainyard workers [--api URL] [--json]

The live workers (GET /v1/workers): engine, device, accelerator class, running jobs, images/s.`;

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseClientArgs(argv, { help: { type: 'boolean', default: false } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const { workers } = await clientFromEnvironment(values.api as string | undefined, env).workers.list();
  if (values.json) {
    printJson({ workers });
    return 0;
  }
  if (workers.length === 0) process.stdout.write('no live workers\n');
  for (const w of workers) {
    const device = w.device ? `${w.device.name} (${w.device.kind})` : 'device unknown';
    process.stdout.write(
      `${w.id}  ${w.accelerator ?? '?'}  ${w.engine ?? '?'} on ${device}  running ${w.runningJobs}  ${Math.round(w.imagesPerSecond)} images/s  seen ${w.lastSeenAt}\n`,
    );
  }
  return 0;
}
