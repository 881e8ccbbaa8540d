import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PUBLIC_ROUTE } from './routes/metrics';

/*
 * The web admin UI's files (admin-ui/, built by `npm run build` into dist/admin-ui): index.html at `/`, everything
 * else under `/assets/` with content-hashed names. They are read into memory once, with the .br and .gz files the
 * build wrote beside them, so a request is a map lookup: the whole UI is a few hundred kilobytes.
 *
 * index.html is revalidated on every load (no-cache) and names the hashed files, which are cached for a year. Every
 * response of the management port, API included, carries the security headers below: a strict Content-Security-Policy
 * (scripts and styles only from files of this origin, no inline script or style, no framing), nosniff, no-referrer.
 */

/** Where `npm run build` writes the UI: <package root>/dist/admin-ui, from src/management or dist/management. */
export const DEFAULT_UI_DIR = resolve(__dirname, '..', '..', 'dist', 'admin-ui');

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

interface UiFile {
  readonly type: string;
  readonly identity: Buffer;
  readonly gzip: Buffer | undefined;
  readonly brotli: Buffer | undefined;
}

/** Shown at `/` when the UI was never built (a source checkout that ran no `npm run build`). */
const NOT_BUILT = Buffer.from(
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>Leveret</title>' +
    '<h1>Leveret</h1><p>The web admin UI is not built. Run <code>npm run build</code> (or <code>npm start</code>, ' +
    'which builds it) and reload. The management API answers under <code>/api/</code>.</p></html>\n',
);

function readOptional(path: string): Buffer | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

function loadFile(path: string): UiFile {
  return {
    type: TYPES[extname(path)] ?? 'application/octet-stream',
    identity: readFileSync(path),
    gzip: readOptional(`${path}.gz`),
    brotli: readOptional(`${path}.br`),
  };
}

/** The UI's files: 'index.html' and 'assets/<name>' (compressed siblings are not entries of their own). */
export function loadUiFiles(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return files;
  files.set('index.html', loadFile(index));
  const assets = join(dir, 'assets');
  if (existsSync(assets)) {
    for (const name of readdirSync(assets)) {
      if (name.endsWith('.gz') || name.endsWith('.br')) continue;
      const path = join(assets, name);
      if (statSync(path).isFile()) files.set(`assets/${name}`, loadFile(path));
    }
  }
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, file: UiFile, cacheControl: string): FastifyReply {
  const accepted = String(request.headers['accept-encoding'] ?? '');
  void reply.header('content-type', file.type).header('cache-control', cacheControl).header('vary', 'accept-encoding');
  if (file.brotli !== undefined && /\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(file.brotli);
  if (file.gzip !== undefined && /\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.identity);
}

/** GET / and GET /assets/{file}, without login (the page logs in through the API). */
export function uiRoutes(dir: string) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const files = loadUiFiles(dir);
    app.get('/', { config: PUBLIC_ROUTE }, async (request, reply) => {
      const index = files.get('index.html');
      if (index === undefined) return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT);
      return send(request, reply, index, 'no-cache');
    });
    app.get<{ Params: { file: string } }>('/assets/:file', { config: PUBLIC_ROUTE }, async (request, reply) => {
      const file = files.get(`assets/${request.params.file}`);
      if (file === undefined) return reply.callNotFound();
      return send(request, reply, file, 'public, max-age=31536000, immutable');
    });
  };
}
