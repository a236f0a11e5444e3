/** The sign-in page: an API key, checked against the API, kept in sessionStorage for this tab. */
import { h, replaceChildren } from '../dom/h.js';
import { api, storeKey } from '../api/client.js';
import { ErrorBox } from '../components.js';

export function signInPage(root: HTMLElement, onSignedIn: () => void): void {
  const key = (
    <input id="api-key" type="password" autocomplete="off" placeholder="ty_…" required data-testid="api-key" />
  ) as HTMLInputElement;
  const message = <div />;
  const submit = async (event: Event) => {
    event.preventDefault();
    storeKey(key.value.trim());
    try {
      await api.jobs.list({ limit: 1 });
      onSignedIn();
    } catch (error) {
      storeKey(null);
      replaceChildren(message, <ErrorBox error={error} />);
    }
  };
  replaceChildren(
    root,
    <section class="sign-in card">
      <h1>Sign in to Trainyard</h1>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        {key}
        {message}
        <button class="button primary" type="submit" data-testid="sign-in">
          Sign in
        </button>
      </form>
      <p class="muted">
        An operator creates keys with <code>trainyard keys create --tenant NAME</code>. The key stays in this browser tab only
        (sessionStorage) and is sent as <code>Authorization: Bearer …</code>.
      </p>
    </section>,
  );
  key.focus();
}
