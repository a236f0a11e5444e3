/**
 * API keys: 32 random bytes, shown once, stored only as their SHA-256. A key this random needs no
 * slow hash (nothing to brute-force); comparisons are constant-time all the same.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_PREFIX = 'ty_';

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The first characters of a key, safe to show and log, to tell keys apart. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}

/** Whether `key` has the shape of one of our keys (cheap rejection before any database query). */
export function looksLikeApiKey(key: string): boolean {
  return /^ty_[A-Za-z0-9_-]{43}$/.test(key);
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
