import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { requireMonitor, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { quarantineJson } from '../schemas/broker';
import { namedFields, ok } from '../schemas/common';
import { resource, vhostOr404, vhostParams } from '../support';

interface LimitQuery {
  limit?: unknown;
}

const schema = { querystring: namedFields(['limit']), response: ok(quarantineJson) };

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * GET /api/leveret/quarantine[/{vhost}]: the messages set aside because they could not be read back from the store or
 * delivered (Leveret's own; RabbitMQ has no such place). `{ total, items }`, oldest first, `limit` items at most
 * (default 100, at most 1000). Properties are shown decoded when they decode, else as base64 with the reason.
 */
export function quarantineRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const list = (request: FastifyRequest<{ Querystring: LimitQuery }>, vhost: string | undefined): { total: number; items: Record<string, unknown>[] } => {
    const limit = parseLimit(request.query.limit);
    return deps.admin.quarantine(limit, vhost);
  };
  return async (app) => {
    resource<{ Querystring: LimitQuery }>(app, '/leveret/quarantine', { GET: async (request) => list(request, undefined) }, { all: { onRequest: requireMonitor, schema } });
    resource<{ Params: { vhost: string }; Querystring: LimitQuery }>(
      app,
      '/leveret/quarantine/:vhost',
      {
        GET: async (request) => {
          const name = request.params.vhost;
          vhostOr404(deps, name);
          return list(request, name);
        },
      },
      { all: { onRequest: vhostGate(deps), schema: { ...schema, params: vhostParams } } },
    );
  };
}

function parseLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw Errors.badRequest('limit must be a positive integer');
  return Math.min(n, MAX_LIMIT);
}
