/**
 * The API from the browser: @trainyard/client on the page's own origin with the key the user signed
 * in with. Its errors (TrainyardApiError) carry the API's code and message; a 401 sends the app back
 * to the sign-in page.
 */
import { TrainyardApiError, TrainyardClient } from '@trainyard/client';

export { TrainyardApiError };

const KEY_STORAGE = 'trainyard.apiKey';

/** The key lives in sessionStorage: it is gone when the tab closes. */
export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

/** For requests the client does not make itself (tf.loadLayersModel reads model.json and its shards). */
export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Fired when the API refuses the key, so the app can go back to the sign-in page. */
export const onUnauthorized = new EventTarget();

export const api = new TrainyardClient({
  baseUrl: '',
  apiKey: storedKey,
  onError: (error) => {
    if (error.status === 401) onUnauthorized.dispatchEvent(new Event('unauthorized'));
  },
});

/** Saves a download's body as a file (a link cannot carry the Authorization header). */
export async function saveAs(response: Response, fileName: string): Promise<void> {
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
