/*
 * The only way the UI talks to the broker: the management HTTP API on this origin. Every request carries the UI's
 * header (the server then never answers with a Basic challenge, and accepts cookie-authenticated changes only with
 * it); the session cookie goes along by itself (same origin). A 401 ends the session in the UI.
 */
import { signal } from '@preact/signals';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
  ) {
    super(reason === '' ? `${status} ${error}` : reason);
  }
}

/** Set when the API answered 401: the session is over (logged out elsewhere, expired, password changed). */
export const sessionLost = signal(0);

const UI_HEADERS = { 'x-leveret-ui': '1' };

/** The 401 reasons that refuse one request to a logged-in user (management/errors.ts), not the session itself. */
const REFUSALS = new Set([
  'Access refused.',
  'User not authorised to access virtual host',
  'User not authorised to access object',
  'Not administrator user',
  'Not monitor user',
]);

/** One path segment, encoded: vhost '/' is '%2F', as the API wants. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** '/api/' + segments, each encoded, + an optional query. */
export function apiPath(segments: readonly string[], query?: Record<string, string | number | boolean | undefined>): string {
  let path = `/api/${segments.map(seg).join('/')}`;
  if (query !== undefined) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
    const q = params.toString();
    if (q !== '') path += `?${q}`;
  }
  return path;
}

async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const init: RequestInit = { method, headers: { ...UI_HEADERS, ...headers }, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(path, init);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const e = (parsed ?? {}) as { error?: unknown; reason?: unknown };
    // A 401 is also RabbitMQ's answer to a refused permission ('Access refused.'): that one leaves the session be.
    if (response.status === 401 && !path.startsWith('/api/leveret/session') && !REFUSALS.has(String(e.reason))) sessionLost.value++;
    throw new ApiError(response.status, String(e.error ?? response.statusText), String(e.reason ?? text));
  }
  return parsed as T;
}

export const api = {
  get: <T = unknown>(path: string): Promise<T> => request<T>('GET', path),
  put: <T = unknown>(path: string, body?: unknown): Promise<T> => request<T>('PUT', path, body ?? {}),
  post: <T = unknown>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body ?? {}),
  del: <T = unknown>(path: string, headers?: Record<string, string>): Promise<T> => request<T>('DELETE', path, undefined, headers),
};

/** The text an error shows the user. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.reason !== '' ? `${err.reason} (${err.status})` : `${err.error} (${err.status})`;
  return err instanceof Error ? err.message : String(err);
}

/** A RabbitMQ paginated listing envelope. */
export interface Page<T> {
  items: T[];
  filtered_count: number;
  item_count: number;
  total_count: number;
  page: number;
  page_size: number;
  page_count: number;
}
