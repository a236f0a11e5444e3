import { buildModel, disposeBuiltModel, initEngine, measureThroughput } from '@trainyard/cnn';
import { logToStderr, parseCommandLine, parsePositiveInt, parseShape, printJson, stringOption } from '../args.js';

const HELP = `usage: trainyard bench --model NAME --input H,W,C [--batch B] [--classes N] [--warmup N] [--steps N] [--json]

Training and inference throughput by the method of the repository's PyTorch reference,
bench/torch_reference.py: random inputs, Adam 1e-3, ${5} warm-up steps then the median of ${30};
train = forward, backward and update; eval = forward with the result read back. Reports the
engine and the device it computed on; TRAINYARD_ENGINE forces an engine (e.g. webgpu on a software
adapter).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {
    model: { type: 'string' },
    input: { type: 'string' },
    batch: { type: 'string', default: '64' },
    classes: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    steps: { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  const name = stringOption(values, 'model');
  const input = stringOption(values, 'input');
  if (values.help || !name || !input) {
    process.stdout.write(HELP + '\n');
    return values.help ? 0 : 2;
  }
  const inputShape = parseShape(input, '--input');
  const batch = parsePositiveInt(stringOption(values, 'batch') ?? '64', '--batch');
  const classes = parsePositiveInt(stringOption(values, 'classes') ?? '10', '--classes');
  const engine = await initEngine({ log: logToStderr });

  const model = buildModel(name, { inputShape, classes });
  try {
    const speed = await measureThroughput(model.training, {
      inputShape,
      batch,
      classes,
      warmup: Number(stringOption(values, 'warmup')),
      steps: parsePositiveInt(stringOption(values, 'steps') ?? '30', '--steps'),
    });
    const result = {
      engine: engine.name,
      device: engine.device,
      threads: engine.threads,
      model: name,
      input,
      batch,
      trainImagesPerSec: round1(speed.trainImagesPerSec),
      evalImagesPerSec: round1(speed.evalImagesPerSec),
    };
    if (values.json) printJson(result);
    else
      process.stdout.write(
        `${result.model} ${result.input} batch ${batch} on ${result.engine} (${result.device.kind} ${result.device.name}): train ${result.trainImagesPerSec} images/s, eval ${result.evalImagesPerSec} images/s\n`,
      );
  } finally {
    disposeBuiltModel(model);
  }
  return 0;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
