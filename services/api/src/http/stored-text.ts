/**
 * Text the service stores (names, specs, file names: whatever a client sends) must not hold a NUL,
 * another control character or an unpaired surrogate. Postgres refuses NUL and unpaired surrogates
 * in text and jsonb (a 500 otherwise), and the other control characters end up in logs, terminals
 * and the dashboard, where they forge lines or move the cursor. So they are refused at the door, for
 * every JSON body and multipart field alike, with 400 control_character and where it was found.
 */
import { ApiError } from '@trainyard/contracts';

/** C0 controls (tab, newline and carriage return included), DEL and the C1 controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unstorable(text: string): boolean {
  return CONTROL.test(text) || LONE_SURROGATE.test(text);
}

interface Visit {
  value: unknown;
  parent: Visit | null;
  segment: string;
}

function pathOf(visit: Visit): string {
  const segments: string[] = [];
  for (let at: Visit | null = visit; at; at = at.parent) segments.push(at.segment);
  return segments.reverse().join('');
}

/**
 * The path of the first unstorable string (in values or object keys), or null. A loop, not recursion,
 * and paths built only for a hit: a body nested thousands deep must get its schema error, not
 * overflow the stack or build a path per level here.
 */
function findUnstorableText(root: unknown, rootPath: string): string | null {
  const pending: Visit[] = [{ value: root, parent: null, segment: rootPath }];
  while (pending.length > 0) {
    const visit = pending.pop()!;
    const { value } = visit;
    if (typeof value === 'string') {
      if (unstorable(value)) return pathOf(visit);
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) pending.push({ value: value[index], parent: visit, segment: `[${index}]` });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (const [key] of entries) {
        if (unstorable(key)) return `${pathOf(visit)}.${key.replace(CONTROL, '?').slice(0, 50)}`;
      }
      for (let index = entries.length - 1; index >= 0; index--) {
        pending.push({ value: entries[index]![1], parent: visit, segment: `.${entries[index]![0].slice(0, 50)}` });
      }
    }
  }
  return null;
}

/** Throws 400 control_character naming the first unstorable string under `path`. */
export function assertStorableText(value: unknown, path: string): void {
  const found = findUnstorableText(value, path);
  if (found) {
    throw new ApiError('control_character', `${found} contains a NUL or other control character, or an unpaired surrogate.`, [
      { path: found, rule: 'control_character' },
    ]);
  }
}
