import { commonEnv, describeEnv } from '@trainyard/contracts';
import { apiEnv } from '@trainyard/api';
import { workerEnv } from '@trainyard/worker';
import { cnnEnv } from '@trainyard/cnn/env';
import { parseCommandLine } from '../args.js';
import { cliEnv } from '../config.js';

const SECTIONS = [
  { title: 'API and worker', rows: describeEnv(commonEnv) },
  { title: 'API', rows: describeEnv(apiEnv) },
  { title: 'worker', rows: describeEnv(workerEnv) },
  { title: 'CLI (client commands)', rows: describeEnv(cliEnv) },
  { title: 'CNN package (training and prediction processes, `trainyard train`)', rows: describeEnv(cnnEnv) },
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
