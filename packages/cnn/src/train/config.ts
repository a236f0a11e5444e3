/**
 * Turns a partial, untrusted training configuration into a complete TrainConfig, checking every field
 * against the hyperparameter table of the contracts package. Free of TensorFlow.js, like the table.
 */
import {
  brokenHyperparameterRules,
  defaultTrainConfig,
  HYPERPARAMETERS,
  type HyperparameterSpec,
  type TrainConfig,
} from '@trainyard/contracts';
import { CnnError } from '../errors.js';

export { defaultTrainConfig };

/** Input accepted by resolveTrainConfig: any subset of fields, nested objects may be partial too. */
export type PartialTrainConfig = Partial<
  Omit<TrainConfig, 'earlyStopping' | 'augmentation'> & {
    earlyStopping: Partial<NonNullable<TrainConfig['earlyStopping']>> | null;
    augmentation: Partial<TrainConfig['augmentation']>;
  }
>;

/**
 * Fills defaults and validates. Throws CnnError('invalid_option') naming the field and what it accepts.
 */
export function resolveTrainConfig(partial: PartialTrainConfig | Record<string, unknown> = {}): TrainConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw invalid('training configuration', 'an object', partial);
  }
  const config = resolveObject(HYPERPARAMETERS, partial as Record<string, unknown>, '') as unknown as TrainConfig;
  checkRules(config);
  return config;
}

function resolveObject(specs: readonly HyperparameterSpec[], input: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const known = new Set(specs.map((s) => s.name));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) {
      throw new CnnError('invalid_option', `Unknown training option "${prefix}${key}"; known options: ${[...known].join(', ')}.`, {
        field: `${prefix}${key}`,
      });
    }
  }
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const value = input[spec.name];
    out[spec.name] = value === undefined ? structuredClone(spec.default) : resolveValue(spec, value, `${prefix}${spec.name}`);
  }
  return out;
}

function resolveValue(spec: HyperparameterSpec, value: unknown, field: string): unknown {
  const alias = spec.aliases?.find((candidate) => candidate.value === value);
  if (alias) return alias.means;
  if (value === null && spec.nullable) return null;
  switch (spec.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(field, 'true or false', value);
      return value;
    case 'string':
      if (typeof value !== 'string' || !spec.enum?.includes(value)) throw invalid(field, describeChoices(spec), value);
      return value;
    case 'integer':
    case 'number': {
      const allowed = describeRange(spec);
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, allowed, value);
      if (spec.type === 'integer' && !Number.isInteger(value)) throw invalid(field, allowed, value);
      if (spec.minimum !== undefined && value < spec.minimum) throw invalid(field, allowed, value);
      if (spec.maximum !== undefined && value > spec.maximum) throw invalid(field, allowed, value);
      if (spec.exclusiveMinimum !== undefined && value <= spec.exclusiveMinimum) throw invalid(field, allowed, value);
      if (spec.exclusiveMaximum !== undefined && value >= spec.exclusiveMaximum) throw invalid(field, allowed, value);
      return value;
    }
    case 'object':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw invalid(field, spec.nullable ? 'an object or null' : 'an object', value);
      }
      return resolveObject(spec.properties ?? [], value as Record<string, unknown>, `${field}.`);
  }
}

function describeChoices(spec: HyperparameterSpec): string {
  const aliases = (spec.aliases ?? []).map((alias) => `${alias.value} (${alias.means})`);
  return `one of ${[...(spec.enum ?? []), ...aliases].join(', ')}`;
}

function describeRange(spec: HyperparameterSpec): string {
  const kind = spec.type === 'integer' ? 'an integer' : 'a number';
  const low = spec.exclusiveMinimum !== undefined ? `> ${spec.exclusiveMinimum}` : spec.minimum !== undefined ? `>= ${spec.minimum}` : '';
  const high = spec.exclusiveMaximum !== undefined ? `< ${spec.exclusiveMaximum}` : spec.maximum !== undefined ? `<= ${spec.maximum}` : '';
  return [kind, [low, high].filter(Boolean).join(' and ')].filter(Boolean).join(' ');
}

function checkRules(config: TrainConfig): void {
  const [broken] = brokenHyperparameterRules(config);
  if (broken) throw new CnnError('invalid_option', `${broken.text}.`, { field: broken.field });
}

function invalid(field: string, allowed: string, value: unknown): CnnError {
  return new CnnError('invalid_option', `${field} must be ${allowed}; got ${show(value)}.`, { field, allowed });
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
