import { apiEnv, commonEnv, describeEnv } from '@trainyard/contracts';
import { workerEnv } from '@trainyard/worker';
import { parseCommandLine } from '../args.js';

/** Read by the CNN package itself rather than the services' config tables. */
const CNN_ENV = [
  {
    name: 'TRAINYARD_ENGINE',
    default: '',
    description: 'Force a TensorFlow.js engine: tensorflow-gpu, webgpu, tensorflow, onednn, wasm or cpu (unset: the fastest that loads)',
  },
  {
    name: 'TRAINYARD_WEBGPU_ADAPTER',
    default: '',
    description: "The webgpu engine's adapter: the first whose name contains this text (unset: Dawn's high-performance choice)",
  },
  {
    name: 'TRAINYARD_WEBGPU_ADAPTER_INDEX',
    default: '',
    description:
      "The webgpu engine's adapter by its index in Dawn's list (WORKER_GPUS sets it for each training child); refused where an earlier adapter has the same name",
  },
];

const SECTIONS = [
  { title: 'API and worker', rows: describeEnv(commonEnv) },
  { title: 'API', rows: describeEnv(apiEnv) },
  { title: 'worker', rows: describeEnv(workerEnv) },
  { title: 'CNN package (worker and `trainyard train`)', rows: CNN_ENV },
];

/** The README's configuration table, generated from the same tables the services read. */
export function configurationTable(): string {
  const lines = ['| variable | default | used by | meaning |', '|---|---|---|---|'];
  for (const { title, rows } of SECTIONS) {
    for (const row of rows) {
      const value = row.default === '' ? '(unset)' : `\`${row.default}\``;
      lines.push(`| \`${row.name}\` | ${value} | ${title} | ${row.description.replace(/\|/g, '\\|')} |`);
    }
  }
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, { help: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(
      'usage: trainyard config\n\nPrints every environment variable the service reads, its default and meaning, as a Markdown table.\n',
    );
    return 0;
  }
  process.stdout.write(configurationTable() + '\n');
  return 0;
}
