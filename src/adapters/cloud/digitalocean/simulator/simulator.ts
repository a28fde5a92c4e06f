import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SimAction, type SimDroplet, SimError, type SimRequestRecord, type SimSnapshot, SimulatorState, type SimulatorDelays, sizeInfo } from './simulator-state.js';

export { SimulatorState, type SimRequestRecord, type SimulatorDelays, type SimulatorFaults, DEFAULT_DELAYS, NO_FAULTS } from './simulator-state.js';

export interface SimulatorOptions {
  /** 0 (default): any free port. */
  readonly port?: number;
  readonly host?: string;
  readonly delays?: Partial<SimulatorDelays>;
  /** Seeds the randomness (error-rate faults). */
  readonly seed?: number;
  /** Requests per hour per token, for the `ratelimit-*` headers (default 5,000 as DigitalOcean). */
  readonly rateLimitPerHour?: number;
  /** Leave the caller's filters (tag_name, name) out of `links.pages`, to prove a client keeps them itself. */
  readonly linksDropQuery?: boolean;
  /** The clock (default Date.now). */
  readonly now?: () => number;
  /** The first droplet id handed out (default 500000001); a simulator that restarts should not reuse ids. */
  readonly firstDropletId?: number;
}

export interface RunningSimulator {
  readonly url: string;
  readonly state: SimulatorState;
  close(): Promise<void>;
}

const ISO = (ms: number): string => new Date(ms).toISOString();
const NOT_FOUND = (): SimError => new SimError(404, 'not_found', 'The resource you were accessing could not be found.');
/** Requests that change something: an injected fault may strike them after their effect. */
const MUTATING = new Set(['POST', 'PUT', 'DELETE']);

function regionJson(slug: string): object {
  return { name: `Region ${slug}`, slug, features: ['backups', 'ipv6', 'metadata', 'install_agent'], available: true, sizes: ['s-1vcpu-1gb', 's-1vcpu-2gb', 's-2vcpu-4gb'] };
}

function dropletJson(d: SimDroplet): object {
  const size = sizeInfo(d.size) ?? sizeInfo('s-1vcpu-1gb')!;
  const imageIsId = typeof d.image === 'number';
  return {
    id: d.id,
    name: d.name,
    memory: size.memory,
    vcpus: size.vcpus,
    disk: size.disk,
    disk_info: [{ type: 'local', size: { amount: size.disk, unit: 'gib' } }],
    locked: d.locked,
    status: d.status,
    kernel: null,
    created_at: ISO(d.createdAt),
    features: ['droplet_agent', 'private_networking'],
    backup_ids: [],
    next_backup_window: null,
    snapshot_ids: [],
    image: {
      id: imageIsId ? d.image : 100_000_000 + [...String(d.image)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 10_000_000, 7),
      name: imageIsId ? `image ${d.image}` : String(d.image),
      type: imageIsId ? 'snapshot' : 'base',
      distribution: 'Ubuntu',
      slug: imageIsId ? null : d.image,
      public: !imageIsId,
      regions: ['nyc3', 'sfo3', 'ams3', 'fra1', 'lon1', 'sgp1'],
      created_at: '2024-01-01T00:00:00Z',
      min_disk_size: 7,
      size_gigabytes: 2.36,
      status: 'available',
    },
    volume_ids: [],
    size: { ...size, regions: ['nyc3', 'sfo3', 'ams3', 'fra1', 'lon1', 'sgp1'], available: true, description: 'Basic' },
    size_slug: d.size,
    networks: {
      v4: d.ipv4 ? [{ ip_address: d.ipv4, netmask: '255.255.240.0', gateway: d.ipv4.replace(/\.\d+$/, '.1'), type: 'public' }] : [],
      v6: [],
    },
    region: regionJson(d.region),
    tags: d.tags,
    vpc_uuid: '5a4981aa-9653-4bd1-bef5-d6bff52042e4',
  };
}

function actionJson(a: SimAction): object {
  return {
    id: a.id,
    status: a.status,
    type: a.type,
    started_at: ISO(a.startedAt),
    completed_at: a.completedAt === null ? null : ISO(a.completedAt),
    resource_id: a.dropletId,
    resource_type: 'droplet',
    region: regionJson(a.region),
    region_slug: a.region,
  };
}

function snapshotListJson(s: SimSnapshot): object {
  return { id: s.id, name: s.name, created_at: ISO(s.createdAt), regions: [s.region], min_disk_size: s.minDiskSize, size_gigabytes: s.sizeGigabytes, type: 'snapshot' };
}

function snapshotJson(s: SimSnapshot): object {
  return { id: String(s.id), name: s.name, created_at: ISO(s.createdAt), regions: [s.region], min_disk_size: s.minDiskSize, size_gigabytes: s.sizeGigabytes, resource_id: String(s.dropletId), resource_type: 'droplet', tags: [] };
}

/** A tag with its droplet counts; `last_tagged_uri` only when something carries it, as the API does. */
function tagJson(baseUrl: string, tag: { name: string; droplets: SimDroplet[] }): object {
  const last = tag.droplets.at(-1);
  const uri = last === undefined ? {} : { last_tagged_uri: `${baseUrl}/v2/droplets/${last.id}` };
  const none = { count: 0 };
  return {
    name: tag.name,
    resources: { count: tag.droplets.length, ...uri, droplets: { count: tag.droplets.length, ...uri }, images: none, volumes: none, volume_snapshots: none, databases: none },
  };
}

const tagOf = (text: string | undefined): string => {
  try {
    return decodeURIComponent(text ?? '');
  } catch {
    throw NOT_FOUND();
  }
};

interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * A stateful DigitalOcean API v2 server (DESIGN.md, "DigitalOcean"): the droplet, action, snapshot
 * and tag paths with the real API's shapes and habits, simulated time, rate-limit headers,
 * injectable faults (before or after a request's effect), and a control API under `/_sim`.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const state = new SimulatorState(options.delays, options.seed ?? 1, options.now ?? Date.now, options.firstDropletId);
  const limit = options.rateLimitPerHour ?? 5_000;
  /** Requests per token in the current hour; the tokens themselves are never shown anywhere. */
  const usage = new Map<string, { windowStart: number; count: number }>();
  let baseUrl = '';

  const rateHeaders = (token: string | undefined): Record<string, string> => {
    const now = state.now();
    let entry = token === undefined ? undefined : usage.get(token);
    if (!entry || now - entry.windowStart >= 3_600_000) {
      entry = { windowStart: now, count: 0 };
      if (token !== undefined) usage.set(token, entry);
    }
    entry.count++;
    return {
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(Math.max(limit - entry.count, 0)),
      'ratelimit-reset': String(Math.ceil((entry.windowStart + 3_600_000) / 1000)),
    };
  };

  const pageOf = <T>(items: readonly T[], url: URL, path: string, keepQuery: readonly string[]): { items: T[]; links: object; meta: object } => {
    const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page') ?? 20) || 20, 1), 200);
    const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
    const page = Math.min(Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1), Math.max(lastPage, 1));
    const link = (p: number): string => {
      const query = new URLSearchParams();
      if (!options.linksDropQuery) for (const key of keepQuery) { const v = url.searchParams.get(key); if (v !== null) query.set(key, v); }
      query.set('page', String(p));
      query.set('per_page', String(perPage));
      return `${baseUrl}${path}?${query.toString()}`;
    };
    const pages: Record<string, string> = {};
    if (page > 1) Object.assign(pages, { first: link(1), prev: link(page - 1) });
    if (page < lastPage) Object.assign(pages, { next: link(page + 1), last: link(lastPage) });
    return { items: items.slice((page - 1) * perPage, page * perPage), links: { pages }, meta: { total: items.length } };
  };

  const readBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SimError(400, 'bad_request', 'The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SimError(400, 'bad_request', 'The request body must be a JSON object.');
    return parsed as Record<string, unknown>;
  };

  const idOf = (text: string | undefined): number => {
    const id = Number(text);
    if (!Number.isSafeInteger(id) || id <= 0) throw NOT_FOUND();
    return id;
  };

  const api = async (req: IncomingMessage, url: URL): Promise<Reply> => {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    let m: RegExpExecArray | null;
    if (path === '/v2/droplets') {
      if (method === 'GET') {
        const tag = url.searchParams.get('tag_name') ?? undefined;
        const name = url.searchParams.get('name') ?? undefined;
        const page = pageOf(state.listDroplets({ tag, name }), url, path, ['tag_name', 'name']);
        return { status: 200, body: { droplets: page.items.map(dropletJson), links: page.links, meta: page.meta } };
      }
      if (method === 'POST') {
        const { droplet, action } = state.createDroplet(await readBody(req));
        return { status: 202, body: { droplet: dropletJson(droplet), links: { actions: [{ id: action.id, rel: 'create', href: `${baseUrl}/v2/actions/${action.id}` }] } } };
      }
      if (method === 'DELETE') {
        const tag = url.searchParams.get('tag_name');
        if (!tag) throw new SimError(422, 'unprocessable_entity', 'tag_name is required');
        for (const d of state.listDroplets({})) if (d.tags.includes(tag)) state.deleteDroplet(d.id);
        return { status: 204 };
      }
    } else if ((m = /^\/v2\/droplets\/([^/]+)$/.exec(path))) {
      const id = idOf(m[1]);
      if (method === 'GET') return { status: 200, body: { droplet: dropletJson(state.droplet(id)) } };
      if (method === 'DELETE') {
        state.deleteDroplet(id);
        return { status: 204 };
      }
    } else if ((m = /^\/v2\/droplets\/([^/]+)\/actions$/.exec(path))) {
      const id = idOf(m[1]);
      if (method === 'GET') {
        const page = pageOf(state.dropletActions(id), url, path, []);
        return { status: 200, body: { actions: page.items.map(actionJson), links: page.links, meta: page.meta } };
      }
      if (method === 'POST') return { status: 201, body: { action: actionJson(state.dropletAction(id, await readBody(req))) } };
    } else if ((m = /^\/v2\/droplets\/([^/]+)\/snapshots$/.exec(path))) {
      const id = idOf(m[1]);
      if (method === 'GET') {
        const page = pageOf(state.dropletSnapshots(id), url, path, []);
        return { status: 200, body: { snapshots: page.items.map(snapshotListJson), links: page.links, meta: page.meta } };
      }
    } else if (path === '/v2/tags') {
      if (method === 'POST') return { status: 201, body: { tag: tagJson(baseUrl, state.tag(state.createTag((await readBody(req)).name))) } };
    } else if ((m = /^\/v2\/tags\/([^/]+)$/.exec(path))) {
      if (method === 'GET') return { status: 200, body: { tag: tagJson(baseUrl, state.tag(tagOf(m[1]))) } };
    } else if ((m = /^\/v2\/tags\/([^/]+)\/resources$/.exec(path))) {
      const tag = tagOf(m[1]);
      if (method === 'POST') {
        state.tagResources(tag, (await readBody(req)).resources);
        return { status: 204 };
      }
      if (method === 'DELETE') {
        state.untagResources(tag, (await readBody(req)).resources);
        return { status: 204 };
      }
    } else if ((m = /^\/v2\/actions\/([^/]+)$/.exec(path))) {
      if (method === 'GET') return { status: 200, body: { action: actionJson(state.action(idOf(m[1]))) } };
    } else if ((m = /^\/v2\/snapshots\/([^/]+)$/.exec(path))) {
      const id = idOf(m[1]);
      if (method === 'GET') return { status: 200, body: { snapshot: snapshotJson(state.snapshot(id)) } };
      if (method === 'DELETE') {
        state.deleteSnapshot(id);
        return { status: 204 };
      }
    } else {
      throw NOT_FOUND();
    }
    throw new SimError(405, 'method_not_allowed', `${method} is not allowed here.`);
  };

  const control = async (req: IncomingMessage, url: URL): Promise<Reply> => {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    let m: RegExpExecArray | null;
    if (path === '/_sim/state' && method === 'GET') {
      const now = state.now();
      const tags = new Map<string, number>();
      for (const d of state.droplets.values()) for (const t of d.tags) tags.set(t, (tags.get(t) ?? 0) + 1);
      return {
        status: 200,
        body: {
          now: ISO(now),
          droplets: [...state.droplets.values()].sort((a, b) => a.id - b.id).map((d) => ({ ...dropletJson(d), unmanaged: d.unmanaged, listed_by_tag: d.listableAt <= now })),
          actions: [...state.actions.values()].sort((a, b) => a.id - b.id).map(actionJson),
          snapshots: [...state.snapshots.values()].sort((a, b) => a.id - b.id).map((s) => ({ ...snapshotJson(s), visible: s.visibleAt <= now && s.deletedAt === null, deleted: s.deletedAt !== null })),
          tags: [...tags].sort(([a], [b]) => a.localeCompare(b)).map(([name, droplets]) => ({ name, droplets })),
          // tags that exist with no droplet carrying them (created, or emptied by untagging)
          empty_tags: [...state.tags.values()].filter((t) => !tags.has(t)).sort((a, b) => a.localeCompare(b)),
          faults: state.faults,
          delays: state.delays,
        },
      };
    }
    if (path === '/_sim/droplets' && method === 'POST') return { status: 201, body: { droplet: dropletJson(state.createDroplet(await readBody(req), { unmanaged: true }).droplet) } };
    if ((m = /^\/_sim\/droplets\/([^/]+)\/resize$/.exec(path)) && method === 'POST') return { status: 200, body: { droplet: dropletJson(state.resize(idOf(m[1]), (await readBody(req)).size)) } };
    if ((m = /^\/_sim\/droplets\/([^/]+)\/tags$/.exec(path)) && method === 'PUT') return { status: 200, body: { droplet: dropletJson(state.setTags(idOf(m[1]), (await readBody(req)).tags)) } };
    if ((m = /^\/_sim\/droplets\/([^/]+)$/.exec(path)) && method === 'DELETE') {
      state.deleteDroplet(idOf(m[1]));
      return { status: 204 };
    }
    if (path === '/_sim/faults' && method === 'PUT') return { status: 200, body: { faults: state.setFaults(await readBody(req)) } };
    if (path === '/_sim/reset' && method === 'POST') {
      state.reset();
      usage.clear();
      return { status: 204 };
    }
    throw NOT_FOUND();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const send = (reply: Reply): void => {
      const headers: Record<string, string> = { ...reply.headers };
      if (reply.body === undefined) {
        res.writeHead(reply.status, headers).end();
        return;
      }
      headers['content-type'] = 'application/json; charset=utf-8';
      res.writeHead(reply.status, headers).end(JSON.stringify(reply.body));
    };
    const fail = (error: unknown, headers: Record<string, string> = {}): Reply => {
      if (error instanceof SimError) return { status: error.status, headers, body: { id: error.id, message: error.message } };
      return { status: 500, headers, body: { id: 'server_error', message: 'Server was unable to give you a response.' } };
    };

    if (url.pathname.startsWith('/_sim/') || url.pathname === '/_sim') {
      state.advance();
      try {
        send(await control(req, url));
      } catch (error) {
        send(fail(error));
      }
      return;
    }

    const auth = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    const headers = rateHeaders(token);
    const method = req.method ?? 'GET';
    const record = (status: number, fault?: SimRequestRecord['fault']): void =>
      state.record({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), status, ...(fault === undefined ? {} : { fault }) });
    const serverError = (status: 500 | 503): Reply => ({
      status,
      headers,
      body: { id: status === 500 ? 'server_error' : 'service_unavailable', message: 'Server was unable to give you a response.' },
    });
    if (state.faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, state.faults.latencyMs));
    let reply: Reply | undefined;
    /** An injected failure to answer once the request has had its effect, as a real API may fail after acting. */
    let afterEffect: Reply | undefined;
    let fault: SimRequestRecord['fault'];
    if (token === undefined) {
      reply = { status: 401, headers, body: { id: 'unauthorized', message: 'Unable to authenticate you.' } };
    } else if (state.faults.burst429 > 0) {
      state.faults.burst429--;
      const retry = state.faults.retryAfterSeconds;
      reply = { status: 429, headers: { ...headers, 'ratelimit-remaining': '0', ...(retry === null ? {} : { 'retry-after': String(retry) }) }, body: { id: 'too_many_requests', message: 'API rate limit exceeded.' } };
    } else if (state.faults.burst5xx > 0) {
      state.faults.burst5xx--;
      reply = serverError(500);
      fault = 'before_effect';
    } else if (state.faults.burst5xxAfterEffect > 0 && MUTATING.has(method)) {
      state.faults.burst5xxAfterEffect--;
      afterEffect = serverError(500);
    } else if (state.faults.errorRate > 0 && state.random() < state.faults.errorRate) {
      const failure = serverError(state.random() < 0.5 ? 500 : 503);
      // a GET has no effect to fail after; a mutating request fails after its effect about half the time
      if (MUTATING.has(method) && state.random() < 0.5) afterEffect = failure;
      else {
        reply = failure;
        fault = 'before_effect';
      }
    }
    if (reply === undefined) {
      state.advance();
      try {
        reply = { ...(await api(req, url)), headers };
      } catch (error) {
        reply = fail(error, headers);
      }
      // only a request that took effect can fail after it; a refusal (4xx) is answered as it is
      if (afterEffect !== undefined && reply.status < 400) {
        reply = afterEffect;
        fault = 'after_effect';
      }
    }
    record(reply.status, fault);
    send(reply);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'server_error', message: 'Server was unable to give you a response.' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;

  return {
    url: baseUrl,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
