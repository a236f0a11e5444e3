import { architectureParameterCount, initEngine, isCnnError, listArchitectures, type InputShape } from '@trainyard/cnn';
import { logToStderr, parseCommandLine, parsePositiveInt, parseShape, printJson, stringOption } from '../args.js';

const HELP = `usage: trainyard models [--json] [--input-shape H,W,C] [--classes N]

Lists every architecture variant with its trainable parameter count, at the variant's native input
and 1000 classes (32x32x3 and 10 classes for lenet5 and the CIFAR layouts) unless given.
A variant that cannot take --input-shape is listed with its error instead of a count.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {
    json: { type: 'boolean', default: false },
    'input-shape': { type: 'string' },
    classes: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return printHelp();
  const shapeText = stringOption(values, 'input-shape');
  const classesText = stringOption(values, 'classes');
  const inputShape = shapeText ? parseShape(shapeText, '--input-shape') : undefined;
  const classes = classesText ? parsePositiveInt(classesText, '--classes') : undefined;
  await initEngine({ log: logToStderr });

  const rows = listArchitectures().map((info) => {
    const shape: InputShape = inputShape ?? info.nativeInputShape;
    const count = classes ?? info.defaultClasses;
    const row = { name: info.name, family: info.family, inputShape: shape, classes: count, minInputSize: info.minInputSize };
    try {
      return { ...row, parameters: architectureParameterCount(info.name, { inputShape: shape, classes: count }) };
    } catch (error) {
      if (!isCnnError(error)) throw error;
      return { ...row, parameters: null, error: { code: error.code, message: error.message } };
    }
  });

  if (values.json) printJson(rows);
  else {
    for (const r of rows) {
      const size = r.inputShape.join('x');
      const what = r.parameters === null ? `-- ${'error' in r ? r.error.message : ''}` : r.parameters.toLocaleString('en-US');
      process.stdout.write(`${r.name.padEnd(16)} ${size.padEnd(12)} ${String(r.classes).padStart(5)} classes  ${what}\n`);
    }
  }
  return 0;
}

function printHelp(): number {
  process.stdout.write(HELP + '\n');
  return 0;
}
