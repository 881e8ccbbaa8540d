import type { FastifyPluginAsync } from 'fastify';
import { BROWSE_DEFAULT_LIMIT, BROWSE_MAX_LIMIT } from '../../admin/browse';
import { checkPermission, principalOf, vhostGate, type Principal } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { ANY, BOOLEAN, NUMBER, OPEN_OBJECT, arrayOf, namedFields, object, ok } from '../schemas/common';
import { exchangeId, resource, vhostNameParams, vhostOr404 } from '../support';

interface BrowseQuery {
  offset?: unknown;
  limit?: unknown;
  search?: unknown;
  truncate?: unknown;
}

interface RedriveBody {
  search?: unknown;
  limit?: unknown;
  to_exchange?: unknown;
  routing_key?: unknown;
  dry_run?: unknown;
  rate?: unknown;
}

const browseJson = object({
  total: NUMBER,
  items: arrayOf(OPEN_OBJECT),
  scanned: NUMBER,
  truncated: BOOLEAN,
});
const redriveJson = object({
  matched: NUMBER,
  moved: NUMBER,
  dry_run: BOOLEAN,
  skipped: NUMBER,
  unroutable: NUMBER,
  scanned: NUMBER,
});

/** A non-negative integer from a query string or JSON body; `fallback` when absent. */
function count(value: unknown, what: string, fallback: number | undefined, min = 0): number | undefined {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw Errors.badRequest(`${what} must be an integer of at least ${min}`);
  return n;
}

function text(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw Errors.badRequest(`${what} must be a string`);
  return value;
}

/**
 * Leveret's message browser and dead-letter re-drive (RabbitMQ has neither):
 * - GET /api/leveret/queues/{vh}/{q}/messages?offset=&limit=&search=&truncate=: ready messages in delivery order
 *   without taking them, `{ total, items: [{ position, routing_key, exchange, redelivered, properties, payload,
 *   payload_encoding, payload_bytes }] }` (with a search also `scanned`, `truncated`). Read permission on the queue.
 * - POST /api/leveret/queues/{vh}/{q}/redrive `{ search?, limit?, to_exchange?, routing_key?, dry_run?, rate? }`:
 *   `{ matched, moved, dry_run, skipped, unroutable, scanned }`. Read permission on the queue, write on each target
 *   exchange (topic permission on topic exchanges); messages whose target the user may not write to are skipped.
 */
export function browseRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);
  const { entities, browse, redrive, users } = deps.admin;

  const mayPublish = (principal: Principal, vhost: string, exchange: string, routingKey: string): boolean => {
    try {
      checkPermission(deps, principal, vhost, 'write', 'exchange', exchange);
      if (entities.exchangeFacts(vhost, exchange)?.type === 'topic') users.checkTopic(principal.name, vhost, exchange, 'write', routingKey);
      return true;
    } catch {
      return false;
    }
  };

  return async (app) => {
    resource<{ Params: { vhost: string; name: string }; Querystring: BrowseQuery }>(
      app,
      '/leveret/queues/:vhost/:name/messages',
      {
        GET: async (request) => {
          const { vhost, name } = request.params;
          vhostOr404(deps, vhost);
          if (!entities.hasQueue(vhost, name)) throw Errors.objectNotFound();
          const q = request.query;
          const offset = count(q.offset, 'offset', 0) as number;
          const limit = Math.min(count(q.limit, 'limit', BROWSE_DEFAULT_LIMIT, 1) as number, BROWSE_MAX_LIMIT);
          const truncate = count(q.truncate, 'truncate', undefined);
          const search = text(q.search, 'search');
          checkPermission(deps, principalOf(request), vhost, 'read', 'queue', name);
          return browse.browse(vhost, name, { offset, limit, search, truncate });
        },
      },
      {
        all: {
          onRequest: gate,
          schema: { params: vhostNameParams, querystring: namedFields(['offset', 'limit', 'search', 'truncate']), response: ok(browseJson) },
        },
      },
    );

    resource<{ Params: { vhost: string; name: string }; Body: RedriveBody }>(
      app,
      '/leveret/queues/:vhost/:name/redrive',
      {
        POST: async (request) => {
          const { vhost, name } = request.params;
          vhostOr404(deps, vhost);
          if (!entities.hasQueue(vhost, name)) throw Errors.objectNotFound();
          const body = (request.body ?? {}) as RedriveBody;
          if (typeof body !== 'object' || Array.isArray(body)) throw Errors.badRequest('the body must be a JSON object');
          const search = text(body.search, 'search');
          const limit = count(body.limit, 'limit', undefined, 1);
          const toExchangeName = text(body.to_exchange, 'to_exchange');
          const routingKey = text(body.routing_key, 'routing_key');
          if (body.dry_run !== undefined && typeof body.dry_run !== 'boolean') throw Errors.badRequest('dry_run must be true or false');
          let rate: number | undefined;
          if (body.rate !== undefined && body.rate !== null) {
            if (typeof body.rate !== 'number' || !(body.rate > 0)) throw Errors.badRequest('rate must be a positive number (messages a second)');
            rate = body.rate;
          }
          const principal = principalOf(request);
          checkPermission(deps, principal, vhost, 'read', 'queue', name);
          const toExchange = toExchangeName === undefined ? undefined : exchangeId(toExchangeName);
          if (toExchange !== undefined) {
            if (entities.exchangeFacts(vhost, toExchange) === undefined) {
              throw Errors.notFound(`no exchange '${toExchangeName ?? ''}' in vhost '${vhost}'`);
            }
            checkPermission(deps, principal, vhost, 'write', 'exchange', toExchange);
          }
          return redrive.redrive(vhost, name, {
            search,
            limit,
            toExchange,
            routingKey,
            dryRun: body.dry_run === true,
            rate,
            mayPublish: (exchange, key) => mayPublish(principal, vhost, exchange, key),
          });
        },
      },
      { all: { onRequest: gate, schema: { params: vhostNameParams, body: { ...ANY }, response: ok(redriveJson) } } },
    );
  };
}
