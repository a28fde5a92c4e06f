/**
 * The one way the console talks to the API: same origin, the bearer token from sessionStorage,
 * errors as ApiError carrying the API's `{error, message}`. A 401 anywhere signs out.
 */

const TOKEN_KEY = 'cloudledger.token';

export type Role = 'viewer' | 'operator' | 'platform_admin';
const RANK: Record<Role, number> = { viewer: 0, operator: 1, platform_admin: 2 };

/** May a caller with `role` take an action that needs `needed`? */
export function allows(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}

export interface Me {
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
  readonly expiresAt: string | null;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  for (const listener of signedOutListeners) listener();
}

/** Called when the token is cleared: on sign-out, and on any 401. */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Sends a fresh Idempotency-Key: one per confirmed action, never reused for another. */
  readonly idempotent?: boolean;
  readonly signal?: AbortSignal;
  /** The token to use instead of the stored one (signing in). */
  readonly token?: string;
}

export interface ApiResponse<T> {
  readonly data: T;
  readonly headers: Headers;
}

/** Builds `/api/v1/<path>?<query>` leaving out empty values. */
export function apiPath(path: string, query: Record<string, string | number | boolean | undefined | null> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const search = params.toString();
  return `/api/v1/${path}${search ? `?${search}` : ''}`;
}

export async function request<T>(url: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const token = options.token ?? getToken();
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotent) headers['idempotency-key'] = crypto.randomUUID();
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
    cache: 'no-store',
  });
  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!response.ok) {
    const fields = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown };
    const code = typeof fields.error === 'string' ? fields.error : `http_${response.status}`;
    const message = typeof fields.message === 'string' ? fields.message : `${response.status} ${response.statusText || 'request failed'}`;
    // a token that stopped working (revoked, expired) ends the session; signing in is not a session yet
    if (response.status === 401 && options.token === undefined && getToken() !== null) clearToken();
    throw new ApiError(response.status, code, message, body);
  }
  return { data: body as T, headers: response.headers };
}

export async function get<T>(url: string, signal?: AbortSignal): Promise<T> {
  return (await request<T>(url, { signal })).data;
}

/** An action: POST (or another method) with a fresh Idempotency-Key. */
export async function act<T>(url: string, body?: unknown, method: 'POST' | 'PUT' | 'DELETE' = 'POST', headers?: Record<string, string>): Promise<ApiResponse<T>> {
  return request<T>(url, { method, body, idempotent: true, headers });
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
