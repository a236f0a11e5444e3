/**
 * The Trainyard API as typed methods: one per operation of the OpenAPI document (its operationId is
 * named on each), grouped by resource, with the request and answer types of @trainyard/contracts.
 * It needs only `fetch`, so the dashboard (browser) and the CLI (Node) share it.
 *
 *   const client = new TrainyardClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.TRAINYARD_API_KEY });
 *   const job = await client.jobs.submit({ model: { architecture: 'lenet5' }, dataset: { builtin: 'synthetic' } });
 *   for await (const event of client.jobs.events(job.id)) if (event.type === 'epoch') console.log(event.trainLoss);
 *   const { top1 } = await client.jobs.evaluation(job.id);
 */
import type {
  ApiKeyView,
  ArchitectureList,
  CheckpointList,
  CreatedApiKey,
  DatasetList,
  DatasetView,
  EvaluationView,
  JobComparison,
  JobEvent,
  JobList,
  JobLogLine,
  JobLogPage,
  JobMetrics,
  JobSpec,
  JobView,
  ListDatasetsQuery,
  ListJobsQuery,
  PredictionsView,
  ListWeightsQuery,
  ListSweepsQuery,
  SweepBody,
  SweepDecisionList,
  SweepList,
  SweepView,
  ModelFormatQuery,
  Readiness,
  SampleSet,
  TenantView,
  UpdateJobBody,
  WeightsList,
  WeightsView,
  WorkerList,
  CreateWebhook,
  ListWebhooksQuery,
  WebhookDeliveryList,
  WebhookList,
  WebhookView,
  WebhookWithSecret,
} from '@trainyard/contracts';
import { TrainyardApiError } from './errors.js';
import { SseParser, type SseMessage } from './sse.js';

export interface ClientOptions {
  /** The service's URL, e.g. http://127.0.0.1:3000; '' for the page's own origin in a browser. */
  baseUrl: string;
  /** A tenant API key for /v1, or ADMIN_TOKEN for the admin methods. */
  apiKey?: string | (() => string | null);
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Called with every error answer before it is thrown (the dashboard signs out on 401). */
  onError?: (error: TrainyardApiError) => void;
}

export interface EventOptions {
  /** Resume after this event id (what a previous stream sent). */
  lastEventId?: string;
  signal?: AbortSignal;
  /** Milliseconds before the first reconnection after a dropped stream (doubling, at most 10 s). */
  retryMs?: number;
}

export interface LogQuery {
  /** Only lines after this one (a line id, or nextCursor). */
  since?: string;
  /** Lines per page (default 1000). */
  limit?: number;
}

/** A list is sent as the parameter repeated (?tag=a:1&tag=b:2). */
type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

interface Call {
  method?: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  query?: Query;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

const segment = (value: string | number) => encodeURIComponent(String(value));

export class TrainyardClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** Sends one request; an answer that is not 2xx is thrown as TrainyardApiError. */
  async request(path: string, call: Call = {}): Promise<Response> {
    const headers: Record<string, string> = { ...call.headers };
    const key = typeof this.options.apiKey === 'function' ? this.options.apiKey() : this.options.apiKey;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: BodyInit | undefined;
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.json);
    } else if (call.form) body = call.form;
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {})) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) query.append(name, String(one));
    }
    const url = `${this.baseUrl}${path}${query.size > 0 ? `?${query}` : ''}`;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, { method: call.method ?? 'GET', headers, body, signal: call.signal });
    } catch (error) {
      if (call.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw this.failed(
        new TrainyardApiError(
          'unreachable',
          `cannot reach the API at ${this.baseUrl || 'this origin'}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
          0,
        ),
      );
    }
    if (!response.ok) throw this.failed(await TrainyardApiError.fromResponse(response));
    return response;
  }

  private failed(error: TrainyardApiError): TrainyardApiError {
    this.options.onError?.(error);
    return error;
  }

  private async json<T>(path: string, call?: Call): Promise<T> {
    return (await this.request(path, call)).json() as Promise<T>;
  }

  readonly jobs = {
    /** submitJob: POST /v1/jobs */
    submit: (spec: JobSpec, options: { idempotencyKey?: string } = {}): Promise<JobView> =>
      this.json('/v1/jobs', {
        method: 'POST',
        json: spec,
        headers: options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
      }),
    /** listJobs: GET /v1/jobs */
    list: (query: ListJobsQuery = {}): Promise<JobList> => this.json('/v1/jobs', { query }),
    /** getJob: GET /v1/jobs/{id} */
    get: (id: string): Promise<JobView> => this.json(`/v1/jobs/${segment(id)}`),
    /** updateJob: PATCH /v1/jobs/{id}; the tags are merged into the job's, a null value deletes a key. */
    update: (id: string, change: UpdateJobBody): Promise<JobView> =>
      this.json(`/v1/jobs/${segment(id)}`, { method: 'PATCH', json: change }),
    /** compareJobs: GET /v1/jobs/compare?ids= (up to 10 of the tenant's jobs) */
    compare: (ids: readonly string[]): Promise<JobComparison> => this.json('/v1/jobs/compare', { query: { ids: ids.join(',') } }),
    /** getJobMetrics: GET /v1/jobs/{id}/metrics */
    metrics: (id: string): Promise<JobMetrics> => this.json(`/v1/jobs/${segment(id)}/metrics`),
    /** getJobEvaluation: GET /v1/jobs/{id}/evaluation (409 job_not_finished until the job has succeeded) */
    evaluation: (id: string): Promise<EvaluationView> => this.json(`/v1/jobs/${segment(id)}/evaluation`),
    /** listJobCheckpoints: GET /v1/jobs/{id}/checkpoints */
    checkpoints: (id: string): Promise<CheckpointList> => this.json(`/v1/jobs/${segment(id)}/checkpoints`),
    /** downloadJobCheckpoint: GET /v1/jobs/{id}/checkpoints/{epoch}; the body is the file. */
    checkpoint: (id: string, epoch: number): Promise<Response> => this.request(`/v1/jobs/${segment(id)}/checkpoints/${segment(epoch)}`),
    /** downloadJobModel: GET /v1/jobs/{id}/model; the body is the .tar.gz (format tfjs, the default) or a torchvision .safetensors. */
    model: (id: string, query: ModelFormatQuery = {}): Promise<Response> => this.request(`/v1/jobs/${segment(id)}/model`, { query }),
    /** exportJobCheckpointModel: GET /v1/jobs/{id}/checkpoints/{epoch}/model; that checkpoint as a model file. */
    checkpointModel: (id: string, epoch: number, query: ModelFormatQuery = {}): Promise<Response> =>
      this.request(`/v1/jobs/${segment(id)}/checkpoints/${segment(epoch)}/model`, { query }),
    /** downloadJobModelFile: GET /v1/jobs/{id}/model/{file} (model.json, weight shards, manifest.json) */
    modelFile: (id: string, file: string): Promise<Response> => this.request(`/v1/jobs/${segment(id)}/model/${segment(file)}`),
    /** cancelJob: POST /v1/jobs/{id}/cancel */
    cancel: (id: string): Promise<JobView> => this.json(`/v1/jobs/${segment(id)}/cancel`, { method: 'POST' }),
    /** deleteJob: DELETE /v1/jobs/{id} (a finished job, with its metrics, checkpoints and model) */
    delete: async (id: string): Promise<void> => {
      await this.request(`/v1/jobs/${segment(id)}`, { method: 'DELETE' });
    },
    /**
     * predictWithJobModel: POST /v1/jobs/{id}/predict, with a FormData of `images` parts (PNG or JPEG)
     * or `{ instances }` (H x W x C arrays of pixels in [0, 1]); `top` classes per input (default 5).
     */
    predict: (id: string, input: FormData | { instances: number[][][][] }, options: { top?: number } = {}): Promise<PredictionsView> =>
      this.json(`/v1/jobs/${segment(id)}/predict`, {
        method: 'POST',
        query: { top: options.top },
        ...(input instanceof FormData ? { form: input } : { json: input }),
      }),
    /** getJobSamples: GET /v1/jobs/{id}/samples */
    samples: (id: string): Promise<SampleSet> => this.json(`/v1/jobs/${segment(id)}/samples`),
    /**
     * streamJobEvents: GET /v1/jobs/{id}/events, as an async iterator of typed events. It ends after
     * the job's final status event; a dropped connection is resumed with the last event id seen, so
     * no event is missed or repeated.
     */
    events: (id: string, options: EventOptions = {}): AsyncGenerator<JobEvent> =>
      this.follow<JobEvent>(`/v1/jobs/${segment(id)}/events`, {}, options, (message) => {
        const event = JSON.parse(message.data) as JobEvent;
        return { item: event, last: event.type === 'status' && FINISHED.has(event.status) };
      }),
    /** getJobLogs: GET /v1/jobs/{id}/logs, a page of the job's log lines (pass nextCursor as `since` for the next). */
    logs: (id: string, query: LogQuery = {}): Promise<JobLogPage> => this.json(`/v1/jobs/${segment(id)}/logs`, { query: { ...query } }),
    /**
     * getJobLogs with follow=true: the job's log lines as they come, until the job has ended and its
     * last line was sent; a dropped connection is resumed after the last line seen.
     */
    followLogs: (id: string, options: EventOptions = {}): AsyncGenerator<JobLogLine> =>
      this.follow<JobLogLine>(`/v1/jobs/${segment(id)}/logs`, { follow: true }, options, (message) =>
        message.event === 'end' ? { last: true } : { item: JSON.parse(message.data) as JobLogLine, last: false },
      ),
    /** The job once it has finished (succeeded, failed or cancelled), following its events. */
    wait: async (id: string, options: { signal?: AbortSignal } = {}): Promise<JobView> => {
      for await (const event of this.jobs.events(id, options)) void event;
      return this.jobs.get(id);
    },
  };

  readonly datasets = {
    /** uploadDataset: POST /v1/datasets (multipart: images + labels, or file parts; format, name...) */
    upload: (form: FormData): Promise<DatasetView> => this.json('/v1/datasets', { method: 'POST', form }),
    /** listDatasets: GET /v1/datasets */
    list: (query: ListDatasetsQuery = {}): Promise<DatasetList> => this.json('/v1/datasets', { query }),
    /** getDataset: GET /v1/datasets/{id} */
    get: (id: string): Promise<DatasetView> => this.json(`/v1/datasets/${segment(id)}`),
    /** deleteDataset: DELETE /v1/datasets/{id} */
    delete: async (id: string): Promise<void> => {
      await this.request(`/v1/datasets/${segment(id)}`, { method: 'DELETE' });
    },
    /** getDatasetSamples: GET /v1/datasets/{id}/samples */
    samples: (id: string): Promise<SampleSet> => this.json(`/v1/datasets/${segment(id)}/samples`),
  };

  readonly weights = {
    /** uploadWeights: POST /v1/weights (multipart: a file part, the architecture field, an optional name) */
    upload: (form: FormData): Promise<WeightsView> => this.json('/v1/weights', { method: 'POST', form }),
    /** listWeights: GET /v1/weights */
    list: (query: ListWeightsQuery = {}): Promise<WeightsList> => this.json('/v1/weights', { query }),
    /** getWeights: GET /v1/weights/{id} */
    get: (id: string): Promise<WeightsView> => this.json(`/v1/weights/${segment(id)}`),
    /** deleteWeights: DELETE /v1/weights/{id} (409 weights_in_use while a queued or running job starts from them) */
    delete: async (id: string): Promise<void> => {
      await this.request(`/v1/weights/${segment(id)}`, { method: 'DELETE' });
    },
  };

  readonly webhooks = {
    /** createWebhook: POST /v1/webhooks (the answer holds the signing secret, shown only here) */
    create: (body: CreateWebhook): Promise<WebhookWithSecret> => this.json('/v1/webhooks', { method: 'POST', json: body }),
    /** listWebhooks: GET /v1/webhooks */
    list: (query: ListWebhooksQuery = {}): Promise<WebhookList> => this.json('/v1/webhooks', { query }),
    /** getWebhook: GET /v1/webhooks/{id} */
    get: (id: string): Promise<WebhookView> => this.json(`/v1/webhooks/${segment(id)}`),
    /** deleteWebhook: DELETE /v1/webhooks/{id} */
    delete: async (id: string): Promise<void> => {
      await this.request(`/v1/webhooks/${segment(id)}`, { method: 'DELETE' });
    },
    /** rotateWebhookSecret: POST /v1/webhooks/{id}/rotate-secret */
    rotateSecret: (id: string): Promise<WebhookWithSecret> => this.json(`/v1/webhooks/${segment(id)}/rotate-secret`, { method: 'POST' }),
    /** listWebhookDeliveries: GET /v1/webhooks/{id}/deliveries */
    deliveries: (id: string, query: ListWebhooksQuery = {}): Promise<WebhookDeliveryList> =>
      this.json(`/v1/webhooks/${segment(id)}/deliveries`, { query }),
  };

  readonly sweeps = {
    /** submitSweep: POST /v1/sweeps */
    submit: (body: SweepBody): Promise<SweepView> => this.json('/v1/sweeps', { method: 'POST', json: body }),
    /** listSweeps: GET /v1/sweeps */
    list: (query: ListSweepsQuery = {}): Promise<SweepList> => this.json('/v1/sweeps', { query }),
    /** getSweep: GET /v1/sweeps/{id} (status, best trial, leaderboard) */
    get: (id: string): Promise<SweepView> => this.json(`/v1/sweeps/${segment(id)}`),
    /** cancelSweep: POST /v1/sweeps/{id}/cancel */
    cancel: (id: string): Promise<SweepView> => this.json(`/v1/sweeps/${segment(id)}/cancel`, { method: 'POST' }),
    /** listSweepDecisions: GET /v1/sweeps/{id}/decisions */
    decisions: (id: string): Promise<SweepDecisionList> => this.json(`/v1/sweeps/${segment(id)}/decisions`),
  };

  readonly architectures = {
    /** listArchitectures: GET /v1/architectures */
    list: (): Promise<ArchitectureList> => this.json('/v1/architectures'),
  };

  readonly workers = {
    /** listWorkers: GET /v1/workers */
    list: (): Promise<WorkerList> => this.json('/v1/workers'),
  };

  readonly service = {
    /** getHealth: GET /healthz */
    health: (): Promise<{ status: 'ok' }> => this.json('/healthz'),
    /** getReadiness: GET /readyz (503 not_ready, with the failing checks in details) */
    readiness: (): Promise<Readiness> => this.json('/readyz'),
    /** getPrometheusMetrics: GET /metrics */
    metrics: async (): Promise<string> => (await this.request('/metrics')).text(),
  };

  /** /admin/v1, with ADMIN_TOKEN as the client's apiKey. */
  readonly admin = {
    tenants: {
      /** listTenants: GET /admin/v1/tenants */
      list: (): Promise<{ tenants: TenantView[] }> => this.json('/admin/v1/tenants'),
      /** createTenant: POST /admin/v1/tenants */
      create: (name: string): Promise<TenantView> => this.json('/admin/v1/tenants', { method: 'POST', json: { name } }),
    },
    keys: {
      /** createApiKey: POST /admin/v1/keys; the key is in this answer only. */
      create: (tenant: string): Promise<CreatedApiKey> => this.json('/admin/v1/keys', { method: 'POST', json: { tenant } }),
      /** listApiKeys: GET /admin/v1/keys?tenant= */
      list: (tenant: string): Promise<{ keys: ApiKeyView[] }> => this.json('/admin/v1/keys', { query: { tenant } }),
      /** revokeApiKey: DELETE /admin/v1/keys/{id} */
      revoke: async (id: string): Promise<void> => {
        await this.request(`/admin/v1/keys/${segment(id)}`, { method: 'DELETE' });
      },
    },
  };

  /** An SSE route as an async iterator; reconnects after the last id seen until `parse` says the last message came. */
  private async *follow<T>(
    path: string,
    query: Query,
    options: EventOptions,
    parse: (message: SseMessage) => { item?: T; last: boolean },
  ): AsyncGenerator<T> {
    let lastEventId = options.lastEventId;
    const firstDelay = options.retryMs ?? 500;
    for (let attempt = 0; !options.signal?.aborted; attempt++) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastEventId) headers['last-event-id'] = lastEventId;
        const response = await this.request(path, { query, headers, signal: options.signal });
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        let finished = false;
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const message of parser.push(value)) {
              if (message.id) lastEventId = message.id;
              const { item, last } = parse(message);
              if (last) finished = true;
              if (item !== undefined) yield item;
            }
            attempt = 0;
          }
        } finally {
          // Also when the caller stops iterating early: the connection is closed, not left open.
          await reader.cancel().catch(() => {});
        }
        if (finished) return;
      } catch (error) {
        if (options.signal?.aborted) return;
        // A refusal (unknown job, bad key) will not change by retrying; a dropped stream or a 5xx may.
        if (error instanceof TrainyardApiError && error.status >= 400 && error.status < 500) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, firstDelay * 2 ** attempt)));
    }
  }
}
