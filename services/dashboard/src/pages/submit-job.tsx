/**
 * #/jobs/new: the submit form, built from the API itself: architectures with parameter counts from
 * GET /v1/architectures, datasets from GET /v1/datasets, and every hyperparameter with its default,
 * range and description from the job schema in /openapi.json. Only values changed from their
 * defaults are sent; the API fills in the rest (and checks everything again).
 */
import { h, replaceChildren } from '../dom/h.js';
import { api } from '../api/client.js';
import type { JobSpec } from '@trainyard/client';
import type { ArchitectureView, DatasetView, ParameterSchema } from '../api/types.js';
import { ErrorBox } from '../components.js';
import { count } from '../format.js';
import type { PageContext } from './page.js';

interface Field {
  name: string;
  schema: ParameterSchema;
  read(): unknown;
}

function typesOf(schema: ParameterSchema): string[] {
  const own = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return [...own, ...[...(schema.oneOf ?? []), ...(schema.anyOf ?? [])].flatMap(typesOf)];
}

function rangeOf(schema: ParameterSchema): string {
  if (schema.enum) return schema.enum.map(String).join(' | ');
  const low = schema.minimum !== undefined ? `${schema.minimum} ≤` : schema.exclusiveMinimum !== undefined ? `${schema.exclusiveMinimum} <` : '';
  const high = schema.maximum !== undefined ? `≤ ${schema.maximum}` : schema.exclusiveMaximum !== undefined ? `< ${schema.exclusiveMaximum}` : '';
  if (low || high) return `${low} x ${high}`.trim();
  const types = typesOf(schema);
  return types.includes('object') ? 'JSON object' + (types.includes('null') ? ' or null' : '') : types.join(' | ');
}

/** One input for one hyperparameter, by its schema: select, checkbox, number, or JSON text. */
function fieldFor(name: string, schema: ParameterSchema): { input: Element; field: Field } {
  const types = typesOf(schema);
  const id = `hp-${name}`;
  if (schema.enum) {
    const input = (
      <select id={id} name={name}>
        {schema.enum.map((value) => (
          <option value={String(value)} selected={value === schema.default}>
            {String(value)}
          </option>
        ))}
      </select>
    ) as HTMLSelectElement;
    return { input, field: { name, schema, read: () => input.value } };
  }
  if (types.length === 1 && types[0] === 'boolean') {
    const input = <input id={id} name={name} type="checkbox" checked={schema.default === true} /> as HTMLInputElement;
    return { input, field: { name, schema, read: () => input.checked } };
  }
  if (types.every((t) => t === 'number' || t === 'integer')) {
    const input = (
      <input id={id} name={name} type="number" step={types.includes('integer') ? '1' : 'any'} value={schema.default ?? ''} min={schema.minimum} max={schema.maximum} />
    ) as HTMLInputElement;
    return { input, field: { name, schema, read: () => (input.value === '' ? undefined : Number(input.value)) } };
  }
  const input = <input id={id} name={name} type="text" class="mono" value={JSON.stringify(schema.default ?? null)} /> as HTMLInputElement;
  return {
    input,
    field: {
      name,
      schema,
      read: () => {
        try {
          return JSON.parse(input.value);
        } catch {
          throw new Error(`${name}: not valid JSON (${input.value})`);
        }
      },
    },
  };
}

async function hyperparameterSchemas(): Promise<Record<string, ParameterSchema>> {
  type Document = { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: ParameterSchema }> } }>> };
  const document = (await (await api.request('/openapi.json')).json()) as Document;
  const body = document.paths['/v1/jobs']?.post?.requestBody?.content['application/json']?.schema;
  return body?.properties?.hyperparameters?.properties ?? {};
}

export async function submitJobPage({ root }: PageContext): Promise<void> {
  replaceChildren(root, <p>Loading the catalog…</p>);
  let architectures: ArchitectureView[];
  let datasets: DatasetView[];
  let parameters: Record<string, ParameterSchema>;
  try {
    [{ architectures }, { datasets }, parameters] = await Promise.all([
      api.architectures.list(),
      api.datasets.list({ limit: 100 }),
      hyperparameterSchemas(),
    ]);
  } catch (error) {
    replaceChildren(root, <ErrorBox error={error} />);
    return;
  }

  const fields: Field[] = [];
  const rows = Object.entries(parameters).map(([name, schema]) => {
    const { input, field } = fieldFor(name, schema);
    fields.push(field);
    return (
      <tr>
        <td>
          <label for={`hp-${name}`} class="mono">{name}</label>
        </td>
        <td>{input}</td>
        <td class="mono muted">{JSON.stringify(schema.default ?? null)}</td>
        <td class="muted">{rangeOf(schema)}</td>
        <td class="description">{schema.description ?? ''}</td>
      </tr>
    );
  });

  const architecture = (
    <select name="architecture" id="architecture" data-testid="architecture">
      {architectures.map((a) => (
        <option value={a.name}>{`${a.name} — ${a.parameters === null ? '?' : count(a.parameters)} parameters, min input ${a.minInputSize ?? '?'} px`}</option>
      ))}
    </select>
  ) as HTMLSelectElement;
  const description = <p class="muted" />;
  const describe = () => (description.textContent = architectures.find((a) => a.name === architecture.value)?.description ?? '');
  architecture.addEventListener('change', describe);
  describe();

  const dataset = (
    <select name="dataset" id="dataset" data-testid="dataset">
      <option value="builtin:synthetic">synthetic (built in: 28×28×1, 10 classes, for trying the service)</option>
      <option value="builtin:fashion-mnist">fashion-mnist (built in: 28×28×1, 10 classes)</option>
      {datasets.map((d) => (
        <option value={`id:${d.id}`}>{`${d.name} (${d.inputShape?.join('×') ?? '?'}, ${d.classNames.length} classes, ${count(d.trainSize)} train images)`}</option>
      ))}
    </select>
  ) as HTMLSelectElement;
  const name = <input id="job-name" name="name" type="text" placeholder="optional" maxlength="200" /> as HTMLInputElement;
  const runtime = <input id="max-runtime" name="maxRuntimeSeconds" type="number" min="1" step="1" placeholder="no limit" /> as HTMLInputElement;
  const message = <div />;

  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const hyperparameters: Record<string, unknown> = {};
      for (const field of fields) {
        const value = field.read();
        if (value !== undefined && JSON.stringify(value) !== JSON.stringify(field.schema.default)) hyperparameters[field.name] = value;
      }
      const [kind, value] = dataset.value.split(/:(.*)/) as [string, string];
      const body: JobSpec = {
        model: { architecture: architecture.value },
        // The select's options are the builtin names and the tenant's dataset ids; the API checks both.
        dataset: kind === 'builtin' ? { builtin: value as 'synthetic' | 'fashion-mnist' } : { id: value },
        hyperparameters,
      };
      if (name.value.trim()) body.name = name.value.trim();
      if (runtime.value) body.maxRuntimeSeconds = Number(runtime.value);
      const job = await api.jobs.submit(body);
      location.hash = `#/jobs/${job.id}`;
    } catch (error) {
      replaceChildren(message, <ErrorBox error={error} />);
    }
  };

  replaceChildren(
    root,
    <section>
      <h1>New training job</h1>
      <form class="submit-form" onSubmit={submit} data-testid="submit-form">
        <div class="form-grid">
          <label for="job-name">Name</label>
          {name}
          <label for="architecture">Architecture</label>
          <div>
            {architecture}
            {description}
          </div>
          <label for="dataset">Dataset</label>
          <div>
            {dataset} <a href="#/datasets">upload one…</a>
          </div>
          <label for="max-runtime">Time limit (s)</label>
          {runtime}
        </div>
        <h2>Hyperparameters</h2>
        <p class="muted">Every one has a default; only the ones you change are sent.</p>
        <table class="table compact hyperparameters">
          <thead>
            <tr>
              <th>Name</th>
              <th>Value</th>
              <th>Default</th>
              <th>Range</th>
              <th>Meaning</th>
            </tr>
          </thead>
          <tbody>{rows}</tbody>
        </table>
        {message}
        <button class="button primary" type="submit" data-testid="submit">
          Submit job
        </button>
      </form>
    </section>,
  );
}
