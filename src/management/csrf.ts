import type { FastifyRequest } from 'fastify';
import { Errors } from './errors';

/*
 * Cross-site request forgery. A browser that holds Basic credentials for the API (or, later, the admin UI's session
 * cookie) sends them with any request a page on another site makes it send. Such a page cannot read the answer, but
 * a form post or a no-cors fetch is enough to change state: with every body decoded as JSON whatever its type, a
 * text/plain form posting definitions created an administrator.
 *
 * Two independent guards, run on every request before authentication, for the methods that change state:
 * - the request may not come from another site: an Origin naming another origin than this server's (the Host the
 *   request was sent to, or X-Forwarded-Host behind a proxy; Origin "null", sent from sandboxed frames and some
 *   redirects, counts as another site), or Sec-Fetch-Site: cross-site, is 403. Without either header the request
 *   is not a browser's cross-site request (curl, rabbitmqadmin, the Terraform provider send neither).
 * - a body must be declared application/json (any parameters, e.g. charset). Pages on another site can only send
 *   text/plain, application/x-www-form-urlencoded or multipart/form-data without the browser asking the server
 *   first (CORS preflight, which this API never grants), so they cannot send a body this API reads. An empty body
 *   (DELETE, a PUT meaning {}) needs no type. Two exceptions, both for RabbitMQ's own web UI: its definitions upload
 *   (multipart/form-data, on POST /api/definitions only), and a body of any type on a request that carries X-Vhost,
 *   which that UI sends with every request (its publish and get send their JSON untyped) and which no page on another
 *   site can send without the preflight.
 */

/** Methods that change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** onRequest hook: throws 403 for a cross-site state-changing request, 415 for a body that is not JSON. */
export async function refuseForgedRequests(request: FastifyRequest): Promise<void> {
  if (SAFE_METHODS.has(request.method)) return;
  checkOrigin(request);
  checkContentType(request);
}

function checkOrigin(request: FastifyRequest): void {
  const fetchSite = header(request, 'sec-fetch-site');
  if (fetchSite?.toLowerCase() === 'cross-site') {
    throw Errors.forbidden('Sec-Fetch-Site: cross-site: a page on another site may not change state through this API');
  }
  const origin = header(request, 'origin');
  if (origin === undefined) return;
  const own = ownHosts(request);
  if (own.includes(originHost(origin) ?? '\u0000')) return;
  throw Errors.forbidden(
    `Origin '${origin}' is not this server's (${own.map((h) => `'${h}'`).join(' or ') || 'no Host header'}): ` +
      'a page on another site may not change state through this API',
  );
}

/** The host:port an Origin names (default ports left out, lower case), or undefined for 'null' or garbage. */
function originHost(origin: string): string | undefined {
  if (origin === 'null') return undefined;
  try {
    const url = new URL(origin);
    return url.host === '' ? undefined : url.host;
  } catch {
    return undefined;
  }
}

/** The host:port the request was sent to, as an Origin would spell it: Host, and X-Forwarded-Host behind a proxy. */
function ownHosts(request: FastifyRequest): string[] {
  const out: string[] = [];
  for (const value of [header(request, 'host'), header(request, 'x-forwarded-host')?.split(',')[0]]) {
    const host = value?.trim().toLowerCase();
    if (host === undefined || host === '') continue;
    out.push(host);
    // An Origin leaves out the scheme's default port, a Host header may carry it.
    const bare = host.replace(/:(80|443)$/, '');
    if (bare !== host) out.push(bare);
  }
  return out;
}

function checkContentType(request: FastifyRequest): void {
  if (!hasBody(request)) return;
  const type = header(request, 'content-type');
  const essence = type?.split(';')[0]?.trim().toLowerCase();
  if (essence === 'application/json') return;
  // A header only a script of this site (or a client that is not a browser) can send: not a forged form post.
  if (header(request, 'x-vhost') !== undefined) return;
  // The one exception: RabbitMQ's web UI uploads a definitions file as multipart/form-data (a `file` field). The
  // Origin check above still applies, so another site's page cannot post one.
  if (essence === 'multipart/form-data' && request.method === 'POST' && MULTIPART_PATH.test(request.url)) return;
  throw Errors.unsupportedMediaType(
    type === undefined
      ? 'a request body needs Content-Type: application/json'
      : `Content-Type '${type}' is not accepted: send the body as application/json`,
  );
}

/** POST /api/definitions and /api/definitions/{vhost}, with or without a query. */
const MULTIPART_PATH = /^\/api\/definitions(\/[^/?]+)?\/?(\?|$)/;

function hasBody(request: FastifyRequest): boolean {
  if (header(request, 'transfer-encoding') !== undefined) return true;
  const length = header(request, 'content-length');
  return length !== undefined && length.trim() !== '0';
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
