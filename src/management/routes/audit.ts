import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuditFilter } from '../../admin/audit';
import { requireAdmin } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { ANY, arrayOf, namedFields, NUMBER, object, ok, STRING } from '../schemas/common';
import { resource } from '../support';

interface AuditQuery {
  since?: unknown;
  until?: unknown;
  user?: unknown;
  action?: unknown;
  vhost?: unknown;
  limit?: unknown;
}

const FILTERS = ['since', 'until', 'user', 'action', 'vhost'] as const;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const entryJson = object({
  id: NUMBER,
  at: NUMBER,
  user: STRING,
  source: STRING,
  peer: STRING,
  vhost: STRING,
  action: STRING,
  object: object({ type: STRING, name: STRING }),
  details: ANY,
  result: STRING,
  reason: STRING,
});

/**
 * GET /api/leveret/audit (administrators only): who changed which definition, user or permission, from where, when,
 * and whether it was refused; newest first, `{ total, items }`, `limit` items at most (default 100, at most 1000).
 * Filters: since/until (ms since the epoch or an ISO 8601 time, inclusive), user, vhost, action (exactly, or a type:
 * `queue` matches `queue.declare` and `queue.delete`).
 *
 * GET /api/leveret/audit/export: every kept entry matching the same filters, oldest first, as a download in the
 * manner of a definitions file: `{ leveret_version, exported_at, audit: [...] }`.
 */
export function auditRoutes(deps: ManagementDeps): FastifyPluginAsync {
  return async (app) => {
    resource<{ Querystring: AuditQuery }>(
      app,
      '/leveret/audit',
      {
        GET: async (request) => deps.admin.audit.list(parseFilter(request), parseLimit(request.query.limit)),
      },
      {
        all: {
          onRequest: requireAdmin,
          schema: { querystring: namedFields([...FILTERS, 'limit']), response: ok(object({ total: NUMBER, items: arrayOf(entryJson) })) },
        },
      },
    );
    resource<{ Querystring: AuditQuery }>(
      app,
      '/leveret/audit/export',
      {
        GET: async (request, reply) => {
          const now = new Date();
          const name = `leveret-audit-${now.toISOString().slice(0, 10)}.json`;
          void reply.header('content-disposition', `attachment; filename="${name}"`);
          return { leveret_version: deps.node.version, exported_at: now.getTime(), audit: deps.admin.audit.export(parseFilter(request)) };
        },
      },
      {
        all: {
          onRequest: requireAdmin,
          schema: {
            querystring: namedFields([...FILTERS]),
            response: ok(object({ leveret_version: STRING, exported_at: NUMBER, audit: arrayOf(entryJson) })),
          },
        },
      },
    );
  };
}

function parseFilter(request: FastifyRequest<{ Querystring: AuditQuery }>): AuditFilter {
  const q = request.query;
  const filter: { -readonly [K in keyof AuditFilter]: AuditFilter[K] } = {};
  const since = parseTime('since', q.since);
  const until = parseTime('until', q.until);
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  for (const key of ['user', 'action', 'vhost'] as const) {
    const value = q[key];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') throw Errors.badRequest(`${key} must be given once`);
    filter[key] = value;
  }
  return filter;
}

/** ms since the epoch, or an ISO 8601 time ('2026-12-05', '2026-12-05T07:00:00Z'). */
function parseTime(name: string, value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value);
    if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
      const ms = Date.parse(value);
      if (Number.isFinite(ms)) return ms;
    }
  }
  throw Errors.badRequest(`${name} must be a time: ms since the epoch or an ISO 8601 date`);
}

function parseLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw Errors.badRequest('limit must be a positive integer');
  return Math.min(n, MAX_LIMIT);
}
