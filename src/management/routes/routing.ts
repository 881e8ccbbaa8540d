import type { FastifyPluginAsync } from 'fastify';
import { AmqpError } from '../../protocol/amqp-error';
import { encodeBasicProperties } from '../../protocol/generated/amqp';
import { checkPermission, principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { arrayOf, BOOLEAN, namedFields, NULLABLE_STRING, NUMBER, object, ok, OPEN_OBJECT, STRING, STRINGS } from '../schemas/common';
import { exchangeId, resource, vhostOr404, vhostParams } from '../support';
import { toBasicProperties } from './messages';

interface RouteBody {
  vhost?: unknown;
  exchange?: unknown;
  routing_key?: unknown;
  headers?: unknown;
}

const hopJson = object({
  exchange: STRING,
  exchange_type: STRING,
  via: STRING,
  binding: { anyOf: [{ type: 'null' }, OPEN_OBJECT] },
  destination: STRING,
  destination_type: STRING,
});
const pathJson = arrayOf(hopJson);

const routeJson = object({
  vhost: STRING,
  exchange: STRING,
  routing_key: STRING,
  routing_keys: STRINGS,
  queues: arrayOf(object({ queue: STRING, routing_key: STRING, path: pathJson, paths: arrayOf(object({ routing_key: STRING, path: pathJson })) })),
  unroutable: BOOLEAN,
  exchanges_visited: STRINGS,
  held_ms: NUMBER,
  refused: STRING,
});

const topologyJson = object({
  vhost: STRING,
  exchanges: arrayOf(
    object({ name: STRING, type: STRING, durable: BOOLEAN, auto_delete: BOOLEAN, internal: BOOLEAN, alternate_exchange: NULLABLE_STRING, bindings_out: NUMBER }),
  ),
  queues: arrayOf(object({ name: STRING, durable: BOOLEAN, auto_delete: BOOLEAN, exclusive: BOOLEAN, messages: NUMBER, consumers: NUMBER })),
  bindings: arrayOf(object({ source: STRING, destination: STRING, destination_type: STRING, routing_key: STRING, arguments: OPEN_OBJECT })),
});

function stringField(body: RouteBody, key: 'vhost' | 'exchange' | 'routing_key'): string {
  const value = body[key];
  if (value === undefined) throw Errors.keyMissing(key);
  if (typeof value !== 'string') throw Errors.badRequest(`${key} must be a string`);
  return value;
}

/** The headers as a publish would carry them: encoded into basic properties (a value out of range is 400). */
function propertiesOf(headers: unknown): Buffer {
  if (headers === undefined || headers === null) return encodeBasicProperties({});
  if (typeof headers !== 'object' || Array.isArray(headers)) throw Errors.badRequest('headers must be a JSON object');
  const properties = toBasicProperties({ headers });
  try {
    return encodeBasicProperties(properties);
  } catch (err) {
    const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
    if (name === 'RangeError' || name === 'TypeError') throw Errors.badRequest(`invalid headers: ${String(message)}`);
    throw err;
  }
}

/**
 * POST /api/leveret/route: where a message would go, published to an exchange with a routing key and headers,
 * without publishing it. The same checks as the API's publish (write permission on the exchange, topic permission
 * on a topic exchange); an unknown vhost or exchange is 404. GET /api/leveret/topology/{vhost}: the vhost's
 * exchanges, queues and bindings for the UI's topology view.
 */
export function routingRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const { entities, routing, users } = deps.admin;
  return async (app) => {
    resource<{ Body: RouteBody }>(
      app,
      '/leveret/route',
      {
        POST: async (request) => {
          const body = request.body;
          const vhost = stringField(body, 'vhost');
          const name = exchangeId(stringField(body, 'exchange'));
          const routingKey = stringField(body, 'routing_key');
          const properties = propertiesOf(body.headers);
          if (!entities.has(vhost)) throw Errors.notFound(`no vhost '${vhost}'`);
          const principal = principalOf(request);
          if (!principal.isAdmin && !users.canAccessVhost(principal.name, vhost)) throw Errors.vhostForbidden();
          const exchange = entities.exchangeFacts(vhost, name);
          if (exchange === undefined) throw Errors.notFound(`NOT_FOUND - no exchange '${name}' in vhost '${vhost}'`);
          checkPermission(deps, principal, vhost, 'write', 'exchange', exchange.name);
          if (exchange.type === 'topic') users.checkTopic(principal.name, vhost, exchange.name, 'write', routingKey);
          try {
            return routing.preview({ vhost, exchange: exchange.name, routingKey, properties });
          } catch (err) {
            // A CC or BCC header that is not an array: basic.publish's 406, answered as 400 as the API's publish does.
            if (err instanceof AmqpError) throw Errors.badRequest(`${err.replyCode} ${err.replyText}`);
            throw err;
          }
        },
      },
      { all: { schema: { body: namedFields(['vhost', 'exchange', 'routing_key', 'headers']), response: ok(routeJson) } } },
    );
    resource<{ Params: { vhost: string } }>(
      app,
      '/leveret/topology/:vhost',
      {
        GET: async (request) => {
          vhostOr404(deps, request.params.vhost);
          return routing.topology(request.params.vhost);
        },
      },
      { all: { onRequest: vhostGate(deps), schema: { params: vhostParams, response: ok(topologyJson) } } },
    );
  };
}
