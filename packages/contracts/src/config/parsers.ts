/**
 * Parsers for environment values. Each takes the raw text ('' when unset) and returns a value or
 * throws an Error whose message says what was expected.
 */
export function required(raw: string): string {
  if (raw === '') throw new Error('is required');
  return raw;
}

export function optional<T>(parse: (raw: string) => T): (raw: string) => T | undefined {
  return (raw) => (raw === '' ? undefined : parse(raw));
}

export function integer(min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^-?\d+$/.test(raw)) throw new Error(`must be a whole number between ${min} and ${max}`);
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new Error(`must be a whole number between ${min} and ${max}`);
    }
    return value;
  };
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** "1048576", "512kb", "1mb", "2gb" (binary units). */
export function bytes(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?b)?$/i.exec(raw);
    const unit = BYTE_UNITS[(match?.[2] ?? '').toLowerCase()];
    const value = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new Error(`must be a size in bytes such as 1048576, 512kb, 1mb or 2gb, between ${min} and ${max} bytes`);
    }
    return value;
  };
}

export function boolean(raw: string): boolean {
  const lower = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  throw new Error('must be true or false');
}

export function oneOf<const T extends string>(choices: readonly T[]): (raw: string) => T {
  return (raw) => {
    if (!(choices as readonly string[]).includes(raw)) throw new Error(`must be one of ${choices.join(', ')}`);
    return raw as T;
  };
}

/** A URL whose scheme is one of `protocols` (without the colon), e.g. ['postgres', 'postgresql']. */
export function url(protocols: readonly string[]): (raw: string) => string {
  return (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error(`must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`);
    }
    if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
      throw new Error(`must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`);
    }
    return raw;
  };
}

/** Comma-separated list; empty items are dropped. */
export function list(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
