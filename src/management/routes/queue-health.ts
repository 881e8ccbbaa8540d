import type { FastifyPluginAsync } from 'fastify';
import { HEALTH_SORTS, type HealthSort } from '../../admin/views/health';
import { canSeeVhost, principalOf } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { queueHealthList } from '../schemas/health';
import { namedFields, ok } from '../schemas/common';
import { resource, vhostOr404 } from '../support';

interface HealthQuery {
  vhost?: unknown;
  sort?: unknown;
  limit?: unknown;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

/**
 * GET /api/leveret/health/queues?vhost=&sort=&limit=: queue health (admin/views/health.ts) of the queues the caller
 * may see (of one vhost with `vhost`), worst first: `{ total, items: [{ name, vhost, messages_ready, consumers,
 * leveret_health }] }`. `sort`: worst (default), oldest_ready_age_ms, time_to_empty_s, consumer_utilisation, state;
 * `limit`: 1 to 10,000 (default 100).
 */
export function queueHealthRoutes(deps: ManagementDeps): FastifyPluginAsync {
  return async (app) => {
    resource<{ Querystring: HealthQuery }>(
      app,
      '/leveret/health/queues',
      {
        GET: async (request) => {
          const { vhost, sort, limit } = request.query;
          if (vhost !== undefined && typeof vhost !== 'string') throw Errors.badRequest('vhost must be given once');
          const order = parseSort(sort);
          const max = parseLimit(limit);
          const principal = principalOf(request);
          if (vhost !== undefined) {
            vhostOr404(deps, vhost);
            if (!principal.isAdmin && !canSeeVhost(deps, principal, vhost)) throw Errors.vhostForbidden();
          }
          const keep = (name: string): boolean => principal.isAdmin || canSeeVhost(deps, principal, name);
          const rows = deps.admin.entities.queueHealth(keep, order, Date.now(), vhost);
          return { total: rows.length, items: rows.slice(0, max) };
        },
      },
      { all: { schema: { querystring: namedFields(['vhost', 'sort', 'limit']), response: ok(queueHealthList) } } },
    );
  };
}

function parseSort(value: unknown): HealthSort {
  if (value === undefined || value === '') return 'worst';
  if (typeof value === 'string' && (HEALTH_SORTS as readonly string[]).includes(value)) return value as HealthSort;
  throw Errors.badRequest(`sort must be one of ${HEALTH_SORTS.join(', ')}`);
}

function parseLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw Errors.badRequest('limit must be a positive integer');
  return Math.min(n, MAX_LIMIT);
}
