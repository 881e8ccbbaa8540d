/**
 * The management API's routes, read from the sources (src/management/routes/*.ts, session.ts, ui.ts): every path
 * literal given to resource(), app.route() or app.get(), with the template paths expanded (the exchange bindings'
 * `${side}` and the policy families' `/${path}`). Routes under /api get the prefix app.ts registers them with; the
 * Prometheus and UI routes stay at the root. Every method is sent to every route: a method a route does not serve must
 * be a 405 with the error body, as in RabbitMQ.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../options';

const MANAGEMENT = join(REPO_ROOT, 'src', 'management');
/** Registered without the /api prefix (app.ts). */
const ROOT_FILES = new Set(['metrics.ts', 'ui.ts']);

export interface Route {
  /** '/api/queues/:vhost/:name' */
  path: string;
  /** The source file it was read from. */
  file: string;
}

function literals(text: string): string[] {
  const out: string[] = [];
  // '/x/:y' in quotes or backticks, as a whole string (not a comment's or a URL's piece).
  for (const m of text.matchAll(/['`](\/[A-Za-z0-9_\-:./${}]*)['`]/g)) out.push(m[1]!);
  return out;
}

function expand(path: string, text: string): string[] {
  if (path.includes('${side}')) return ['source', 'destination'].map((s) => path.replace('${side}', s));
  if (path.includes('${path}')) {
    const families = [...text.matchAll(/policyFamily\(deps, '([a-z-]+)'/g)].map((m) => m[1]!);
    return families.map((f) => path.replace('${path}', f));
  }
  return path.includes('${') ? [] : [path];
}

export function managementRoutes(): Route[] {
  const files = [
    ...readdirSync(join(MANAGEMENT, 'routes')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join('routes', f)),
    'session.ts',
    'ui.ts',
  ];
  const seen = new Map<string, Route>();
  for (const rel of files) {
    const text = readFileSync(join(MANAGEMENT, rel), 'utf8');
    const base = rel.split('/').pop()!;
    for (const lit of literals(text)) {
      // Paths the code reads (/proc/self/fd) or builds links from are not routes.
      if (lit.startsWith('/proc/') || lit === '/api/bindings') continue;
      for (const p of expand(lit, text)) {
        const path = ROOT_FILES.has(base) ? p : p === '/' ? '/api/' : `/api${p}`;
        if (!seen.has(path)) seen.set(path, { path, file: rel });
      }
    }
  }
  return [...seen.values()].sort((a, b) => a.path.localeCompare(b.path));
}
