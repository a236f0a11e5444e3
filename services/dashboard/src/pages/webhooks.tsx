/**
 * #/webhooks: register a webhook (its secret is shown once, right here) and list the tenant's
 * webhooks. #/webhooks/{id}: the webhook and its deliveries, each with every attempt (answer,
 * duration, error, next retry), refreshed while the page is open.
 */
import { h, replaceChildren } from '../dom/h.js';
import { api } from '../api/client.js';
import type { WebhookDeliveryView, WebhookEventType, WebhookView, WebhookWithSecret } from '../api/types.js';
import { ErrorBox } from '../components.js';
import { shortId, when } from '../format.js';
import { every, type PageContext } from './page.js';

const EVENT_TYPES: WebhookEventType[] = ['job.queued', 'job.running', 'job.succeeded', 'job.failed', 'job.cancelled'];
const CHECKED_BY_DEFAULT = new Set<WebhookEventType>(['job.succeeded', 'job.failed', 'job.cancelled']);

/** The secret of a webhook just created or rotated: the only time anyone sees it. */
function SecretBox(props: { webhook: WebhookWithSecret }): Element {
  return (
    <div class="card secret-box" data-testid="webhook-secret">
      <p>
        Signing secret of <span class="mono">{props.webhook.url}</span>, shown only now. Keep it to verify the{' '}
        <code>webhook-signature</code> header:
      </p>
      <pre class="mono">{props.webhook.secret}</pre>
    </div>
  );
}

function CreateForm(props: { onCreated: (webhook: WebhookWithSecret) => void }): Element {
  const url = (<input type="url" id="webhook-url" placeholder="https://example.com/trainyard-events" required />) as HTMLInputElement;
  const description = (<input type="text" id="webhook-description" placeholder="optional" />) as HTMLInputElement;
  const boxes = EVENT_TYPES.map((type) => {
    const box = (<input type="checkbox" value={type} id={`webhook-event-${type}`} />) as HTMLInputElement;
    box.checked = CHECKED_BY_DEFAULT.has(type);
    return box;
  });
  const message = <div />;
  const button = (
    <button class="button primary" type="submit" data-testid="create-webhook">
      Create
    </button>
  ) as HTMLButtonElement;
  const submit = async (event: Event) => {
    event.preventDefault();
    const events = boxes.filter((box) => box.checked).map((box) => box.value as WebhookEventType);
    if (events.length === 0) return replaceChildren(message, <ErrorBox error={new Error('Choose at least one event.')} />);
    button.disabled = true;
    replaceChildren(message);
    try {
      const webhook = await api.webhooks.create({
        url: url.value.trim(),
        events,
        ...(description.value.trim() ? { description: description.value.trim() } : {}),
      });
      props.onCreated(webhook);
    } catch (error) {
      replaceChildren(message, <ErrorBox error={error} />);
    } finally {
      button.disabled = false;
    }
  };
  return (
    <form class="card" onSubmit={submit} data-testid="webhook-form">
      <h2>New webhook</h2>
      <div class="form-grid">
        <label for="webhook-url">URL</label>
        {url}
        <label for="webhook-description">Description</label>
        {description}
        <span>Events</span>
        <div class="checks">
          {boxes.map((box) => (
            <label class="check">
              {box} {box.value}
            </label>
          ))}
        </div>
      </div>
      {message}
      {button}
    </form>
  );
}

function WebhookTable(props: { webhooks: WebhookView[]; onDelete: (webhook: WebhookView) => void }): Element {
  if (props.webhooks.length === 0) return <p class="empty">No webhooks yet.</p>;
  return (
    <table class="table" data-testid="webhooks">
      <thead>
        <tr>
          <th>URL</th>
          <th>Events</th>
          <th>Description</th>
          <th>Created</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.webhooks.map((webhook) => (
          <tr>
            <td>
              <a href={`#/webhooks/${webhook.id}`}>{webhook.url}</a> <span class="muted mono">{shortId(webhook.id)}</span>
            </td>
            <td>{webhook.events.join(', ')}</td>
            <td>{webhook.description ?? ''}</td>
            <td class="muted">{when(webhook.createdAt)}</td>
            <td>
              <button class="button danger" onClick={() => props.onDelete(webhook)}>
                Delete
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export async function webhookListPage({ root }: PageContext): Promise<void> {
  const secret = <div />;
  const list = <div>Loading…</div>;
  const refresh = async () => {
    try {
      const { webhooks } = await api.webhooks.list({ limit: 100 });
      replaceChildren(list, <WebhookTable webhooks={webhooks} onDelete={(webhook) => void remove(webhook)} />);
    } catch (error) {
      replaceChildren(list, <ErrorBox error={error} />);
    }
  };
  const remove = async (webhook: WebhookView) => {
    if (!confirm(`Delete the webhook to ${webhook.url} and its deliveries?`)) return;
    try {
      await api.webhooks.delete(webhook.id);
    } catch (error) {
      replaceChildren(secret, <ErrorBox error={error} />);
    }
    await refresh();
  };
  const created = (webhook: WebhookWithSecret) => {
    replaceChildren(secret, <SecretBox webhook={webhook} />);
    void refresh();
  };
  replaceChildren(
    root,
    <section>
      <h1>Webhooks</h1>
      <p class="muted">
        Each event is POSTed as JSON with Standard Webhooks signatures, retried for 24 hours until your endpoint answers 2xx.
      </p>
      <CreateForm onCreated={created} />
      {secret}
      <h2>Your webhooks</h2>
      {list}
    </section>,
  );
  await refresh();
}

function Attempts(props: { delivery: WebhookDeliveryView }): Element {
  return (
    <ul class="attempts">
      {props.delivery.attempts.map((attempt) => (
        <li>
          <span class="muted">{when(attempt.startedAt)}</span>{' '}
          <span class="mono">{attempt.responseStatus === null ? 'no answer' : `HTTP ${attempt.responseStatus}`}</span>{' '}
          <span class="muted">{`${attempt.durationMs} ms`}</span>
          {attempt.error ? <span class="attempt-error"> {attempt.error}</span> : null}
          {attempt.nextRetryAt ? <span class="muted">{` · retry ${when(attempt.nextRetryAt)}`}</span> : null}
        </li>
      ))}
    </ul>
  );
}

function DeliveryTable(props: { deliveries: WebhookDeliveryView[] }): Element {
  if (props.deliveries.length === 0) return <p class="empty">No deliveries yet: they appear when a subscribed event happens.</p>;
  return (
    <table class="table" data-testid="deliveries">
      <thead>
        <tr>
          <th>Event</th>
          <th>Job</th>
          <th>Status</th>
          <th>Attempts</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {props.deliveries.map((delivery) => (
          <tr data-status={delivery.status}>
            <td class="mono">{delivery.eventType}</td>
            <td>
              {delivery.eventType.startsWith('job.') ? (
                <a class="mono" href={`#/jobs/${delivery.subjectId}`}>
                  {shortId(delivery.subjectId)}
                </a>
              ) : (
                <span class="mono">{shortId(delivery.subjectId)}</span>
              )}
            </td>
            <td>
              <span class={`badge delivery-${delivery.status}`}>{delivery.status}</span>
              {delivery.nextAttemptAt ? <div class="muted">{`next ${when(delivery.nextAttemptAt)}`}</div> : null}
            </td>
            <td>
              <Attempts delivery={delivery} />
            </td>
            <td class="muted">{when(delivery.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export async function webhookPage({ root, params, signal }: PageContext): Promise<void> {
  const header = <div>Loading…</div>;
  const secret = <div />;
  const deliveries = <div />;
  replaceChildren(
    root,
    <section>
      <p>
        <a href="#/webhooks">← Webhooks</a>
      </p>
      {header}
      {secret}
      <h2>Deliveries</h2>
      {deliveries}
    </section>,
  );
  const rotate = async () => {
    if (!confirm('Replace the signing secret? Deliveries from now on are signed with the new one.')) return;
    try {
      replaceChildren(secret, <SecretBox webhook={await api.webhooks.rotateSecret(params.id!)} />);
    } catch (error) {
      replaceChildren(secret, <ErrorBox error={error} />);
    }
  };
  try {
    const webhook = await api.webhooks.get(params.id!);
    replaceChildren(
      header,
      <div>
        <h1 class="mono">{webhook.url}</h1>
        <p>
          {webhook.events.join(', ')}
          {webhook.description ? ` · ${webhook.description}` : ''} · <span class="muted">created {when(webhook.createdAt)}</span>
        </p>
        <button class="button" onClick={() => void rotate()} data-testid="rotate-secret">
          Rotate secret
        </button>
      </div>,
    );
  } catch (error) {
    replaceChildren(header, <ErrorBox error={error} />);
    return;
  }
  every(3_000, signal, async () => {
    try {
      const page = await api.webhooks.deliveries(params.id!, { limit: 50 });
      replaceChildren(deliveries, <DeliveryTable deliveries={page.deliveries} />);
    } catch (error) {
      replaceChildren(deliveries, <ErrorBox error={error} />);
    }
  });
}
