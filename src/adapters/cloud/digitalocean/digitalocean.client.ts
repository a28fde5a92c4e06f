import { type Span, SpanKind } from '@opentelemetry/api';
import type { z } from 'zod';
import { withSpan } from '../../../application/tracing.js';
import {
  type Action,
  CloudApiError,
  type CloudProvider,
  type CreateDropletRequest,
  type Droplet,
  type DropletActionRequest,
  type Snapshot,
} from '../../../domain/cloud/cloud.port.js';
import { toFieldIssues } from '../../../domain/errors.js';
import type { Metrics } from '../../metrics/metrics.js';
import {
  actionEnvelope,
  actionReference,
  type DropletBody,
  dropletEnvelope,
  dropletListEnvelope,
  errorBodySchema,
  snapshotListEnvelope,
  tagEnvelope,
} from './digitalocean.schemas.js';

export type TokenPurpose = 'provisioning' | 'sync';

export interface DigitalOceanClientOptions {
  /** e.g. `https://api.digitalocean.com` or a simulator's URL. */
  readonly baseUrl: string;
  readonly token: string;
  /** Which token this is: labels the rate-limit gauge (rate limits are per token). */
  readonly purpose: TokenPurpose;
  readonly metrics?: Metrics;
  /** Retries after the first attempt, for 429, 5xx and network errors (default 4). */
  readonly maxRetries?: number;
  /** Injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests: a number in [0, 1) for the backoff jitter. */
  readonly random?: () => number;
  /** Injectable for tests: the current time in ms (to turn `ratelimit-reset` into a wait). */
  readonly now?: () => number;
  /** First backoff step (default 500 ms); doubles per attempt. */
  readonly baseDelayMs?: number;
  /** The longest single wait, whatever the headers say (default 60 s). */
  readonly maxDelayMs?: number;
}

const PER_PAGE = 200;
const MAX_PAGES = 10_000;

interface CallOptions {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** A path below the base URL with its query string, or an absolute URL on the base URL's origin. */
  readonly path: string;
  /** The metric label: the path template, never a concrete id or query. */
  readonly endpoint: string;
  readonly body?: unknown;
  /**
   * A POST that does the same whether it lands once or twice (create a tag, tag resources): retried
   * on 5xx and network errors like a GET or DELETE instead of failing with `outcome_unknown`.
   */
  readonly idempotent?: boolean;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * DigitalOcean API v2 over global fetch (DESIGN.md, "DigitalOcean"). Retries 429 (honouring
 * `retry-after`, else `ratelimit-reset`, else backoff), 5xx and network errors, capped; a POST is
 * retried only on 429 (the API did not act on it): on a 5xx or a network error its outcome is
 * unknown, and it fails with `outcome_unknown` so the caller can look before trying again — unless
 * it is idempotent in effect (the tag calls), when it is retried like a GET.
 * The token goes into the Authorization header and nowhere else.
 */
export class DigitalOceanClient implements CloudProvider {
  private readonly baseUrl: URL;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  readonly purpose: TokenPurpose;

  readonly #token: string;

  constructor(private readonly options: DigitalOceanClientOptions) {
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.#token = options.token;
    this.purpose = options.purpose;
    this.maxRetries = options.maxRetries ?? 4;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
  }

  /** Keeps the token out of console.log, util.inspect and JSON.stringify of the client. */
  toJSON(): object {
    return { baseUrl: this.baseUrl.href, purpose: this.purpose };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `DigitalOceanClient { baseUrl: '${this.baseUrl.href}', purpose: '${this.purpose}' }`;
  }

  async createDroplet(request: CreateDropletRequest): Promise<Droplet> {
    const answer = await this.call({ method: 'POST', path: 'v2/droplets', endpoint: '/v2/droplets', body: request });
    return toDroplet(this.parse(dropletEnvelope, answer, 'POST /v2/droplets').droplet);
  }

  async getDroplet(id: number): Promise<Droplet | null> {
    try {
      const answer = await this.call({ method: 'GET', path: `v2/droplets/${id}`, endpoint: '/v2/droplets/{droplet_id}' });
      return toDroplet(this.parse(dropletEnvelope, answer, 'GET /v2/droplets/{droplet_id}').droplet);
    } catch (error) {
      if (error instanceof CloudApiError && error.status === 404) return null;
      throw error;
    }
  }

  async destroyDroplet(id: number): Promise<void> {
    await this.deleteGone(`v2/droplets/${id}`, '/v2/droplets/{droplet_id}');
  }

  async listDroplets(filter: { readonly tag?: string } = {}): Promise<Droplet[]> {
    const query: Record<string, string> = {};
    if (filter.tag !== undefined) query.tag_name = filter.tag;
    const droplets: Droplet[] = [];
    for await (const body of this.pages('v2/droplets', query, '/v2/droplets', dropletListEnvelope)) droplets.push(...body.droplets.map(toDroplet));
    return droplets;
  }

  async dropletAction(dropletId: number, action: DropletActionRequest): Promise<Action> {
    const answer = await this.call({ method: 'POST', path: `v2/droplets/${dropletId}/actions`, endpoint: '/v2/droplets/{droplet_id}/actions', body: action });
    return this.parse(actionEnvelope, answer, 'POST /v2/droplets/{droplet_id}/actions').action;
  }

  async getAction(id: number): Promise<Action> {
    const answer = await this.call({ method: 'GET', path: `v2/actions/${id}`, endpoint: '/v2/actions/{action_id}' });
    return this.parse(actionEnvelope, answer, 'GET /v2/actions/{action_id}').action;
  }

  async listDropletSnapshots(dropletId: number): Promise<Snapshot[]> {
    const snapshots: Snapshot[] = [];
    for await (const body of this.pages(`v2/droplets/${dropletId}/snapshots`, {}, '/v2/droplets/{droplet_id}/snapshots', snapshotListEnvelope)) {
      snapshots.push(...body.snapshots.map((s) => ({ id: s.id, name: s.name, created_at: s.created_at, regions: s.regions, min_disk_size: s.min_disk_size, size_gigabytes: s.size_gigabytes })));
    }
    return snapshots;
  }

  async deleteSnapshot(id: string | number): Promise<void> {
    await this.deleteGone(`v2/snapshots/${encodeURIComponent(String(id))}`, '/v2/snapshots/{snapshot_id}');
  }

  async tagDroplets(tag: string, dropletIds: readonly number[]): Promise<void> {
    const ids = [...new Set(dropletIds)];
    if (ids.length === 0) return;
    const { name, refusal } = await this.createTag(tag);
    try {
      // retried on 5xx: tagging a droplet that already has the tag changes nothing
      await this.call({ method: 'POST', path: tagResourcesPath(name), endpoint: '/v2/tags/{tag_id}/resources', body: dropletResources(ids), idempotent: true });
    } catch (error) {
      // the create was refused and the tag is still not there: the refusal (an invalid name) is the story
      if (refusal && error instanceof CloudApiError && error.status === 404) throw refusal;
      throw error;
    }
  }

  async untagDroplets(tag: string, dropletIds: readonly number[]): Promise<void> {
    const ids = [...new Set(dropletIds)];
    if (ids.length === 0) return;
    const path = tagResourcesPath(tag);
    const endpoint = '/v2/tags/{tag_id}/resources';
    try {
      await this.call({ method: 'DELETE', path, endpoint, body: dropletResources(ids) });
      return;
    } catch (error) {
      if (!(error instanceof CloudApiError && error.status === 404)) throw error;
    }
    // a 404 names neither the tag nor the droplet: when the tag is there, one droplet already gone
    // may have refused the whole batch, so take the tag off the others one at a time
    if (ids.length === 1 || !(await this.tagExists(tag))) return;
    for (const id of ids) await this.deleteGone(path, endpoint, dropletResources([id]));
  }

  /**
   * `POST /v2/tags`, retried on 5xx and network errors: creating a tag that exists changes nothing
   * (DigitalOcean answers it again; a 409 or 422 "already exists" is fine too). Answers the name to
   * use in paths — the canonical capitalization when the API says — and a refusal to rethrow if
   * the tag then turns out not to exist.
   */
  private async createTag(tag: string): Promise<{ name: string; refusal?: CloudApiError }> {
    try {
      const answer = await this.call({ method: 'POST', path: 'v2/tags', endpoint: '/v2/tags', body: { name: tag }, idempotent: true });
      const parsed = tagEnvelope.safeParse(answer.body);
      return { name: parsed.success ? parsed.data.tag.name : tag };
    } catch (error) {
      if (error instanceof CloudApiError && (error.status === 409 || error.status === 422)) return { name: tag, refusal: error };
      throw error;
    }
  }

  private async tagExists(tag: string): Promise<boolean> {
    try {
      await this.call({ method: 'GET', path: `v2/tags/${encodeTag(tag)}`, endpoint: '/v2/tags/{tag_id}' });
      return true;
    } catch (error) {
      if (error instanceof CloudApiError && error.status === 404) return false;
      throw error;
    }
  }

  private async deleteGone(path: string, endpoint: string, body?: unknown): Promise<void> {
    try {
      await this.call({ method: 'DELETE', path, endpoint, body });
    } catch (error) {
      if (error instanceof CloudApiError && error.status === 404) return;
      throw error;
    }
  }

  /**
   * Every page of a collection: follows `links.pages.next`, with `per_page` and the caller's query
   * on every page whatever the link holds, and only ever against the configured base URL.
   */
  private async *pages<T extends z.ZodType<{ links?: { pages?: { next?: string } } }>>(
    path: string,
    query: Record<string, string>,
    endpoint: string,
    schema: T,
  ): AsyncGenerator<z.infer<T>> {
    let url = new URL(path, this.baseUrl);
    const seen = new Set<string>();
    for (let page = 0; page < MAX_PAGES; page++) {
      url.searchParams.set('per_page', String(PER_PAGE));
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const answer = await this.call({ method: 'GET', path: url.href, endpoint });
      const body = this.parse(schema, answer, `GET ${endpoint}`);
      yield body;
      const next = body.links?.pages?.next;
      if (!next) return;
      url = this.onConfiguredOrigin(next);
    }
  }

  /**
   * A next-page link as a URL on the configured origin: the token only ever goes there. A link
   * elsewhere keeps its path and query only, set on the configured URL with the URL API (so a
   * path such as `//evil.example/x` stays a path), and the final URL's origin is checked again.
   */
  private onConfiguredOrigin(next: string): URL {
    const link = new URL(next, this.baseUrl);
    let url = link;
    if (link.origin !== this.baseUrl.origin) {
      url = new URL(this.baseUrl.href);
      url.pathname = `${this.baseUrl.pathname}${link.pathname.replace(/^\/+/, '')}`;
      url.search = link.search;
    }
    if (url.origin !== this.baseUrl.origin) {
      throw new CloudApiError({ status: 0, id: 'invalid_response', message: 'DigitalOcean answered a next-page link off the API origin; not followed' });
    }
    return url;
  }

  private parse<T extends z.ZodType>(schema: T, answer: Answer, what: string): z.infer<T> {
    const result = schema.safeParse(answer.body);
    if (result.success) return result.data;
    const issues = toFieldIssues(result.error)
      .map((issue) => `${issue.path || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new CloudApiError({ status: answer.status, id: 'invalid_response', message: this.scrub(`DigitalOcean ${what} answered an unexpected body: ${issues}`) });
  }

  /**
   * One API call, retries included, as a client span named by its endpoint template (`GET
   * /v2/droplets/{droplet_id}`: never a concrete id), with the action id when the answer names one.
   */
  private call(options: CallOptions): Promise<Answer> {
    const label = `${options.method} ${options.endpoint}`;
    const attributes = {
      'http.request.method': options.method,
      'url.template': options.endpoint,
      'server.address': this.baseUrl.hostname,
      'server.port': Number(this.baseUrl.port) || (this.baseUrl.protocol === 'https:' ? 443 : 80),
      'digitalocean.endpoint': label,
      'digitalocean.token_purpose': this.purpose,
    };
    return withSpan(
      label,
      attributes,
      async (span) => {
        try {
          const answer = await this.send(options, label, span);
          span.setAttribute('http.response.status_code', answer.status);
          const reference = actionReference.safeParse(answer.body);
          const actionId = reference.success ? (reference.data.action?.id ?? reference.data.links?.actions?.[0]?.id) : undefined;
          if (actionId !== undefined) span.setAttribute('digitalocean.action.id', actionId);
          if (reference.success && reference.data.droplet) span.setAttribute('digitalocean.droplet.id', reference.data.droplet.id);
          return answer;
        } catch (error) {
          if (error instanceof CloudApiError) {
            span.setAttribute('error.type', error.id);
            if (error.status > 0) span.setAttribute('http.response.status_code', error.status);
          }
          throw error;
        }
      },
      { kind: SpanKind.CLIENT },
    );
  }

  private async send(options: CallOptions, label: string, span: Span): Promise<Answer> {
    const url = new URL(options.path, this.baseUrl);
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < this.maxRetries;
      if (attempt > 0) span.setAttribute('http.request.resend_count', attempt);
      let response: Response;
      try {
        response = await fetch(url, {
          method: options.method,
          headers: {
            authorization: `Bearer ${this.#token}`,
            accept: 'application/json',
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
        });
      } catch (error) {
        this.options.metrics?.digitalOceanCalls.inc({ endpoint: label, status: 'network_error' });
        const reason = describeNetworkError(error);
        if (options.method === 'POST' && !options.idempotent) {
          throw new CloudApiError({ status: 0, id: 'outcome_unknown', message: `DigitalOcean ${label}: ${reason}; the request may or may not have taken effect` });
        }
        if (!canRetry) throw new CloudApiError({ status: 0, id: 'network_error', message: `DigitalOcean ${label}: ${reason} (after ${attempt + 1} attempts)` });
        await this.retryAfter(span, this.backoff(attempt), 'network_error');
        continue;
      }

      this.options.metrics?.digitalOceanCalls.inc({ endpoint: label, status: String(response.status) });
      const remaining = Number(response.headers.get('ratelimit-remaining'));
      if (response.headers.has('ratelimit-remaining') && Number.isFinite(remaining)) {
        this.options.metrics?.digitalOceanRateLimitRemaining.set({ purpose: this.purpose }, remaining);
      }

      if (response.ok) {
        if (response.status === 204) return { status: 204, body: undefined };
        const text = await response.text();
        if (text === '') return { status: response.status, body: undefined };
        try {
          return { status: response.status, body: JSON.parse(text) as unknown };
        } catch {
          throw new CloudApiError({ status: response.status, id: 'invalid_response', message: `DigitalOcean ${label} answered a body that is not JSON` });
        }
      }

      const error = await this.toError(response, label);
      if (response.status === 429 && canRetry) {
        await response.body?.cancel().catch(() => undefined);
        await this.retryAfter(span, this.rateLimitWait(response.headers, attempt), '429');
        continue;
      }
      if (response.status >= 500) {
        if (options.method === 'POST' && !options.idempotent) {
          throw new CloudApiError({ status: error.status, id: 'outcome_unknown', message: `${error.message}; the request may or may not have taken effect`, requestId: error.requestId });
        }
        if (canRetry) {
          await this.retryAfter(span, this.backoff(attempt), String(response.status));
          continue;
        }
      }
      throw error;
    }
  }

  /** Waits before the next try, and says so on the call's span. */
  private retryAfter(span: Span, ms: number, cause: string): Promise<void> {
    span.addEvent('digitalocean.retry', { 'digitalocean.retry.cause': cause, 'digitalocean.retry.wait_ms': ms });
    return this.sleep(ms);
  }

  private async toError(response: Response, label: string): Promise<CloudApiError> {
    const headerRequestId = response.headers.get('x-request-id');
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    const parsed = errorBodySchema.safeParse(body);
    if (parsed.success) {
      return new CloudApiError({
        status: response.status,
        id: parsed.data.id,
        message: this.scrub(`DigitalOcean ${label} answered ${response.status}: ${parsed.data.message}`),
        requestId: parsed.data.request_id ?? headerRequestId,
      });
    }
    return new CloudApiError({ status: response.status, id: `http_${response.status}`, message: `DigitalOcean ${label} answered ${response.status}`, requestId: headerRequestId });
  }

  /** `retry-after` seconds, else until `ratelimit-reset` (Unix time), else backoff; capped. */
  private rateLimitWait(headers: Headers, attempt: number): number {
    const retryAfter = Number(headers.get('retry-after') ?? Number.NaN);
    if (headers.has('retry-after') && Number.isFinite(retryAfter) && retryAfter >= 0) return Math.min(retryAfter * 1000, this.maxDelayMs);
    const reset = Number(headers.get('ratelimit-reset') ?? Number.NaN);
    if (headers.has('ratelimit-reset') && Number.isFinite(reset)) return Math.min(Math.max(reset * 1000 - this.now(), 0), this.maxDelayMs);
    return this.backoff(attempt);
  }

  /** Capped exponential backoff with jitter: half the step fixed, half random ("equal jitter"). */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.baseDelayMs * 2 ** attempt, this.maxDelayMs);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  private scrub(text: string): string {
    return this.#token ? text.split(this.#token).join('[redacted]') : text;
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return `network error${code ? ` (${code})` : ''}`;
}

/** Tag names are letters, digits, `_`, `-` and `:`; escape anything else, keep `:` as DigitalOcean's own clients send it. */
function encodeTag(tag: string): string {
  return encodeURIComponent(tag).replace(/%3A/gi, ':');
}

function tagResourcesPath(tag: string): string {
  return `v2/tags/${encodeTag(tag)}/resources`;
}

function dropletResources(ids: readonly number[]): { resources: { resource_id: string; resource_type: 'droplet' }[] } {
  return { resources: ids.map((id) => ({ resource_id: String(id), resource_type: 'droplet' })) };
}

function toDroplet(body: DropletBody): Droplet {
  const publicV4 = body.networks.v4?.find((network) => network.type === 'public');
  return {
    id: body.id,
    name: body.name,
    status: body.status,
    region: body.region.slug,
    size_slug: body.size_slug,
    image: body.image.slug ?? (body.image.id === undefined ? '' : String(body.image.id)),
    tags: body.tags,
    public_ipv4: publicV4?.ip_address ?? null,
    locked: body.locked,
    created_at: body.created_at,
  };
}
