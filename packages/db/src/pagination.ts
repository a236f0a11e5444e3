/**
 * Cursor pagination, newest first, over (createdAt, id), or by a metric over (value, id): stable while
 * rows are added, and the cursor is opaque to clients (base64url JSON).
 */
import { isUuid } from '@trainyard/contracts';

export interface Cursor {
  createdAt: Date;
  id: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id]), 'utf8').toString('base64url');
}

/** The cursor, or null when the text is not one of ours. */
export function decodeCursor(text: string): Cursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [createdAt, id] = value;
    if (typeof createdAt !== 'string' || typeof id !== 'string') return null;
    if (!isUuid(id)) return null;
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime())) return null;
    return { createdAt: date, id };
  } catch {
    return null;
  }
}

/** A page's position under a metric sort: its last row's value and id, and the sort it belongs to. */
export interface MetricCursor {
  value: number;
  id: string;
}

export function encodeMetricCursor(sortKey: string, value: number, id: string): string {
  return Buffer.from(JSON.stringify([sortKey, value, id]), 'utf8').toString('base64url');
}

/** The cursor, or null when the text is not one of ours or was made under another sort. */
export function decodeMetricCursor(text: string, sortKey: string): MetricCursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 3) return null;
    const [key, metric, id] = value;
    if (key !== sortKey || typeof metric !== 'number' || !Number.isFinite(metric) || typeof id !== 'string' || !isUuid(id)) return null;
    return { value: metric, id };
  } catch {
    return null;
  }
}

/** The Prisma `where` fragment for rows after the cursor in (createdAt desc, id desc) order. */
export function afterCursor(cursor: Cursor | null): object {
  if (!cursor) return {};
  return {
    OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
  };
}

/** Takes `limit + 1` rows and turns them into a page. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];
