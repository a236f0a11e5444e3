/**
 * #/jobs/new: the submit form, built from the API itself: architectures with parameter counts from
 * GET /v1/architectures, datasets from GET /v1/datasets, and every hyperparameter with its default,
 * range and description from the job schema in /openapi.json. Only values changed from their
 * defaults are sent; the API fills in the rest (and checks everything again).
 */
import { h, replaceChildren } from '../dom/h.js';
import { api } from '../api/client.js';
import type { JobSpec } from '@trainyard/client';
import type { ArchitectureView, DatasetView, ParameterSchema, WeightsView } from '../api/types.js';
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
  const low =
    schema.minimum !== undefined ? `${schema.minimum} ≤` : schema.exclusiveMinimum !== undefined ? `${schema.exclusiveMinimum} <` : '';
  const high =
    schema.maximum !== undefined ? `≤ ${schema.maximum}` : schema.exclusiveMaximum !== undefined ? `< ${schema.exclusiveMaximum}` : '';
  if (low || high) return `${low} x ${high}`.trim();
  const types = typesOf(schema);
  return types.includes('object') ? 'JSON object' + (types.includes('null') ? ' or null' : '') : types.join(' | ');
}

/**
 * One control for one hyperparameter, by its schema: a select for choices, a checkbox for a switch,
 * a number box for numbers (empty: the default), and for an object a group of these controls, one
 * per field, behind an "on" switch when the object may be null (earlyStopping).
 */
function fieldFor(name: string, schema: ParameterSchema, id = `hp-${name}`): { input: Element; field: Field } {
  const types = typesOf(schema).filter((type) => type !== 'null');
  const nullable = typesOf(schema).includes('null');
  // Older spellings (normalize: true and false) stay accepted by the API but are not offered.
  const choices = schema.enum?.filter((value) => typeof value === 'string');
  if (choices && choices.length > 0) {
    const input = (
      <select id={id} name={name}>
        {choices.map((value) => (
          <option value={String(value)} selected={value === schema.default}>
            {String(value)}
          </option>
        ))}
      </select>
    ) as HTMLSelectElement;
    return { input, field: { name, schema, read: () => input.value } };
  }
  if (types.length === 1 && types[0] === 'boolean') {
    const input = (<input id={id} name={name} type="checkbox" checked={schema.default === true} />) as HTMLInputElement;
    return { input, field: { name, schema, read: () => input.checked } };
  }
  if (types.length > 0 && types.every((t) => t === 'number' || t === 'integer')) {
    const input = (
      <input
        id={id}
        name={name}
        type="number"
        step={types.includes('integer') ? '1' : 'any'}
        value={schema.default ?? ''}
        min={schema.minimum}
        max={schema.maximum}
        placeholder={nullable ? 'off' : ''}
      />
    ) as HTMLInputElement;
    const empty = nullable ? null : undefined;
    return { input, field: { name, schema, read: () => (input.value === '' ? empty : Number(input.value)) } };
  }
  if (schema.properties) {
    const parts = Object.entries(schema.properties).map(([key, sub]) => ({ key, ...fieldFor(key, sub, `${id}-${key}`) }));
    const enabled = nullable ? ((<input id={`${id}-on`} type="checkbox" checked={schema.default !== null} />) as HTMLInputElement) : null;
    const group = (
      <div class="field-group" id={id}>
        {enabled ? <label class="inline">{enabled} on</label> : null}
        {parts.map((part) => (
          <label class="inline" for={`${id}-${part.key}`}>
            <span class="mono">{part.key}</span> {part.input}
          </label>
        ))}
      </div>
    );
    const read = () =>
      enabled && !enabled.checked
        ? null
        : Object.fromEntries(parts.map((part) => [part.key, part.field.read()]).filter(([, value]) => value !== undefined));
    return { input: group, field: { name, schema, read } };
  }
  const input = (
    <input id={id} name={name} type="text" class="mono" value={schema.default === undefined ? '' : String(schema.default)} />
  ) as HTMLInputElement;
  return { input, field: { name, schema, read: () => (input.value === '' ? undefined : input.value) } };
}

/** Whether a value read from a control differs from the schema's default (objects compared field by field, defaults filled in). */
function changed(value: unknown, schema: ParameterSchema): boolean {
  if (value === undefined) return false;
  if (value !== null && typeof value === 'object' && schema.properties && schema.default !== null) {
    const defaults = (schema.default ?? {}) as Record<string, unknown>;
    return Object.entries(value).some(
      ([key, v]) => JSON.stringify(v) !== JSON.stringify(defaults[key] ?? schema.properties![key]?.default),
    );
  }
  return JSON.stringify(value) !== JSON.stringify(schema.default ?? null);
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
  let weights: WeightsView[];
  try {
    [{ architectures }, { datasets }, { weights }, parameters] = await Promise.all([
      api.architectures.list(),
      api.datasets.list({ limit: 100 }),
      api.weights.list({ limit: 100 }),
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
          <label for={`hp-${name}`} class="mono">
            {name}
          </label>
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
        <option
          value={a.name}
        >{`${a.name} — ${a.parameters === null ? '?' : count(a.parameters)} parameters, min input ${a.minInputSize ?? '?'} px`}</option>
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
        <option
          value={`id:${d.id}`}
        >{`${d.name} (${d.inputShape?.join('×') ?? '?'}, ${d.classNames.length} classes, ${count(d.trainSize)} train images)`}</option>
      ))}
    </select>
  ) as HTMLSelectElement;
  const pretrained = (
    <select name="pretrained" id="pretrained" data-testid="pretrained">
      <option value="">none: random initialisation</option>
      {weights.map((w) => (
        <option value={w.id}>{`${w.name} (${w.architecture}, ${w.format}, ${w.classes} classes)`}</option>
      ))}
    </select>
  ) as HTMLSelectElement;
  // Weights fit one architecture: choosing them chooses it.
  pretrained.addEventListener('change', () => {
    const chosen = weights.find((w) => w.id === pretrained.value);
    if (chosen) {
      architecture.value = chosen.architecture;
      describe();
    }
  });
  const freeze = (
    <select name="freeze" id="freeze" data-testid="freeze">
      <option value="none">none: every layer trains</option>
      <option value="backbone">backbone: only the classifier trains</option>
      <option value="prefixes">layers whose names start with…</option>
    </select>
  ) as HTMLSelectElement;
  const prefixes = (<input id="freeze-prefixes" type="text" class="mono" placeholder="conv1, layer1" hidden />) as HTMLInputElement;
  freeze.addEventListener('change', () => (prefixes.hidden = freeze.value !== 'prefixes'));
  const imageHeight = (<input id="image-height" type="number" min="1" max="4096" step="1" placeholder="as stored" />) as HTMLInputElement;
  const imageWidth = (<input id="image-width" type="number" min="1" max="4096" step="1" placeholder="as stored" />) as HTMLInputElement;
  const channels = (
    <select id="channels" data-testid="channels">
      <option value="">as stored</option>
      <option value="1">1 (grey)</option>
      <option value="3">3 (grey replicated, for pretrained weights)</option>
    </select>
  ) as HTMLSelectElement;
  const name = (<input id="job-name" name="name" type="text" placeholder="optional" maxlength="200" />) as HTMLInputElement;
  const runtime = (
    <input id="max-runtime" name="maxRuntimeSeconds" type="number" min="1" step="1" placeholder="no limit" />
  ) as HTMLInputElement;
  const message = <div />;

  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const hyperparameters: Record<string, unknown> = {};
      for (const field of fields) {
        const value = field.read();
        if (changed(value, field.schema)) hyperparameters[field.name] = value;
      }
      const [kind, value] = dataset.value.split(/:(.*)/) as [string, string];
      // The select's options are the builtin names and the tenant's dataset ids; the API checks both.
      const datasetRef: JobSpec['dataset'] = kind === 'builtin' ? { builtin: value as 'synthetic' | 'fashion-mnist' } : { id: value };
      if (imageHeight.value && imageWidth.value) datasetRef.imageSize = [Number(imageHeight.value), Number(imageWidth.value)];
      if (channels.value) datasetRef.channels = Number(channels.value) as 1 | 3;
      const model: JobSpec['model'] = { architecture: architecture.value };
      if (pretrained.value) model.pretrained = { weightsId: pretrained.value };
      if (freeze.value === 'prefixes')
        model.freeze = prefixes.value
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
      else if (freeze.value !== 'none') model.freeze = freeze.value as 'backbone';
      const body: JobSpec = { model, dataset: datasetRef, hyperparameters };
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
          <label for="pretrained">Pretrained weights</label>
          <div>
            {pretrained} <span class="muted">upload with trainyard weights upload or POST /v1/weights</span>
          </div>
          <label for="freeze">Frozen layers</label>
          <div>
            {freeze} {prefixes}
          </div>
          <label for="dataset">Dataset</label>
          <div>
            {dataset} <a href="#/datasets">upload one…</a>
          </div>
          <label for="image-height">Image size</label>
          <div>
            {imageHeight} × {imageWidth} <span class="muted">height × width, resized when read</span>
          </div>
          <label for="channels">Channels</label>
          {channels}
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
