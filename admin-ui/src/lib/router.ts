/*
 * Hash routes, as RabbitMQ's UI has them: `#/queues/%2F/orders?name=ord&page=2`. Path segments are encoded one by one
 * (a vhost '/' is '%2F'), and a list keeps its whole state (vhost, filter, sort, page) in the query, so a link
 * reproduces the view. The server serves one page at `/`; nothing after `#` reaches it.
 */
import { signal } from '@preact/signals';

export interface Route {
  /** Decoded path segments: ['queues', '/', 'orders']. */
  readonly path: readonly string[];
  readonly query: Readonly<Record<string, string>>;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const pathPart = q < 0 ? raw : raw.slice(0, q);
  const queryPart = q < 0 ? '' : raw.slice(q + 1);
  const path = pathPart === '' ? [] : pathPart.split('/').map(safeDecode);
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(queryPart)) query[k] = v;
  return { path, query };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** '#/a/b?x=1' for segments and a query (empty values left out). */
export function href(path: readonly string[], query: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const q = params.toString();
  return `#/${path.map((s) => encodeURIComponent(s)).join('/')}${q === '' ? '' : `?${q}`}`;
}

export const route = signal<Route>(parseHash(location.hash));

function sync(): void {
  route.value = parseHash(location.hash);
}
addEventListener('hashchange', sync);
addEventListener('popstate', sync);

export function navigate(to: string): void {
  if (location.hash === to) return;
  location.hash = to;
}

/**
 * Changes the current route's query. `replace` (typing in a filter) keeps one history entry; otherwise (a page, a
 * sort) the back button returns to the previous view.
 */
export function setQuery(patch: Record<string, string | number | undefined>, options: { replace?: boolean } = {}): void {
  const current = route.value;
  const next = href(current.path, { ...current.query, ...patch });
  if (options.replace === true) history.replaceState(history.state, '', next);
  else history.pushState(history.state, '', next);
  sync();
}
