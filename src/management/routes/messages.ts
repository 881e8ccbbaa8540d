import type { FastifyPluginAsync } from 'fastify';
import { ACK_MODES, type AckMode } from '../../admin/messages';
import { publishRouting, type PublishRouting } from '../../admin/publish';
import { PROPERTIES } from '../../admin/views/properties';
import { AmqpError } from '../../protocol/amqp-error';
import { parseExpiration } from '../../protocol/properties';
import { encodeBasicProperties, type BasicProperties } from '../../protocol/generated/amqp';
import { checkPermission, principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { jsonToFieldTable } from '../request-json';
import { arrayOf, ok } from '../schemas/common';
import { getBody, gotMessageJson, publishBody, routedJson, type GetBody, type PublishBody } from '../schemas/broker';
import { exchangeId, resource, vhostNameParams, vhostOr404 } from '../support';

type JsonProperty = keyof typeof PROPERTIES;
const INTEGER_PROPERTIES = new Set<JsonProperty>(['delivery_mode', 'priority', 'timestamp']);

/** RabbitMQ's rabbit_mgmt_util:parse_int: an integer, or a string of one. */
function parseInt10(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value.trim());
  throw Errors.badRequest(`{not_integer,${JSON.stringify(value) ?? 'undefined'}} (${what})`);
}

/** The publish body's `properties` as AMQP basic properties (rabbit_mgmt_format:to_basic_properties). */
export function toBasicProperties(json: unknown): BasicProperties {
  if (json === undefined || json === null) return {};
  if (typeof json !== 'object' || Array.isArray(json)) throw Errors.badRequest('properties must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (!(key in PROPERTIES)) throw Errors.badRequest(`{unsupported_property,${key}}`);
    const name = key as JsonProperty;
    const field = PROPERTIES[name];
    if (value === null || value === undefined) continue;
    if (name === 'headers') {
      if (typeof value !== 'object' || Array.isArray(value)) throw Errors.badRequest('headers must be a JSON object');
      out[field] = jsonToFieldTable(value, 'properties.headers');
    } else if (INTEGER_PROPERTIES.has(name)) {
      out[field] = parseInt10(value, key);
    } else if (typeof value === 'string' || typeof value === 'number') {
      out[field] = String(value);
    } else {
      throw Errors.badRequest(`${key} must be a string`);
    }
  }
  return out as BasicProperties;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodePayload(payload: string, encoding: unknown): Buffer {
  if (encoding === 'string') return Buffer.from(payload, 'utf8');
  if (encoding === 'base64') {
    const compact = payload.replace(/\s+/g, '');
    if (compact.length % 4 === 1 || !BASE64.test(compact)) throw Errors.badRequest('not_base64');
    return Buffer.from(compact, 'base64');
  }
  throw Errors.badRequest(`{unsupported_encoding,${JSON.stringify(encoding) ?? 'undefined'}}`);
}

/** The publish body's properties as bytes; a value out of its wire range (a priority of 300, a short string of 256 bytes, a timestamp past 2^64) is 400. */
function encodedProperties(properties: BasicProperties): Buffer {
  try {
    return encodeBasicProperties(properties);
  } catch (err) {
    // By name: Node's own range errors (Buffer writes) come from another realm under test runners.
    const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
    if (name === 'RangeError' || name === 'TypeError') throw Errors.badRequest(`invalid properties: ${String(message)}`);
    throw err;
  }
}

/**
 * POST /api/exchanges/{vh}/{x}/publish and POST /api/queues/{vh}/{q}/get (rabbit_mgmt_wm_exchange_publish,
 * rabbit_mgmt_wm_queue_get). Both act as a channel of the requesting user would: permissions, topic
 * permissions, internal exchanges and user-id are checked as for basic.publish / basic.get.
 */
export function messageRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);
  const { entities, messages, users } = deps.admin;

  return async (app) => {
    resource<{ Params: { vhost: string; name: string }; Body: PublishBody }>(
      app,
      '/exchanges/:vhost/:name/publish',
      {
        POST: async (request) => {
          const { vhost: vhostName, name } = request.params;
          const body = request.body;
          for (const key of ['routing_key', 'properties', 'payload', 'payload_encoding'] as const) {
            if (body[key] === undefined) throw Errors.keyMissing(key);
          }
          // RabbitMQ publishes on a channel it opens in the vhost: an unknown vhost refuses the login (401 Access
          // refused.), a missing exchange is the channel's 404 answered as 400 with the AMQP text.
          if (!entities.has(vhostName)) throw Errors.accessRefused();
          const exchange = entities.exchangeFacts(vhostName, exchangeId(name));
          if (exchange === undefined) throw Errors.badRequest(`404 NOT_FOUND - no exchange '${name}' in vhost '${vhostName}'`);
          if (typeof body.payload !== 'string') throw Errors.badRequest('payload_not_string');
          if (typeof body.routing_key !== 'string') throw Errors.badRequest('routing_key must be a string');
          const routingKey = body.routing_key;
          const properties = toBasicProperties(body.properties);
          const payload = decodePayload(body.payload, body.payload_encoding);

          const principal = principalOf(request);
          checkPermission(deps, principal, vhostName, 'write', 'exchange', exchange.name);
          if (exchange.type === 'topic') users.checkTopic(principal.name, vhostName, exchange.name, 'write', routingKey);
          if (exchange.internal) {
            throw Errors.accessRefused();
          }
          if (properties.userId !== undefined && properties.userId !== principal.name) {
            throw Errors.badRequest(
              `406 PRECONDITION_FAILED - user_id property set to '${properties.userId}' but authenticated user was '${principal.name}'`,
            );
          }

          const propertyBytes = encodedProperties(properties);
          const expiration = parseExpiration(propertyBytes);
          if (typeof expiration === 'string') {
            throw Errors.badRequest(`406 PRECONDITION_FAILED - invalid expiration '${properties.expiration ?? ''}': ${expiration}`);
          }
          // CC and BCC keys as basic.publish reads them (BCC removed); a bad header is the channel's 406, here 400.
          let routing: PublishRouting;
          try {
            routing = publishRouting(routingKey, propertyBytes);
          } catch (err) {
            if (err instanceof AmqpError) throw Errors.badRequest(`${err.replyCode} ${err.replyText}`);
            throw err;
          }
          const routed = await messages.publish(vhostName, exchange.name, {
            routingKey,
            routing,
            body: payload,
            persistent: properties.deliveryMode === 2,
            expiration,
          });
          return { routed };
        },
      },
      { all: { onRequest: gate, schema: { params: vhostNameParams, body: publishBody, response: ok(routedJson) } } },
    );

    resource<{ Params: { vhost: string; name: string }; Body: GetBody }>(
      app,
      '/queues/:vhost/:name/get',
      {
        POST: async (request) => {
          const { vhost: vhostName, name } = request.params;
          vhostOr404(deps, vhostName);
          if (!entities.hasQueue(vhostName, name)) throw Errors.objectNotFound();
          const body = request.body;
          for (const key of ['ackmode', 'count', 'encoding'] as const) {
            if (body[key] === undefined) throw Errors.keyMissing(key);
          }
          const ackMode = body.ackmode as AckMode;
          if (!ACK_MODES.includes(ackMode)) {
            throw Errors.badRequest(`Unsupported ackmode ${JSON.stringify(body.ackmode)}. Please use one of ${ACK_MODES.join(', ')}.`);
          }
          const count = parseInt10(body.count, 'count');
          const encoding = body.encoding;
          if (encoding !== 'auto' && encoding !== 'base64') {
            throw Errors.badRequest('Unsupported encoding. Please use auto or base64.');
          }
          const truncate = body.truncate === undefined || body.truncate === null ? undefined : parseInt10(body.truncate, 'truncate');

          checkPermission(deps, principalOf(request), vhostName, 'read', 'queue', name);
          return messages.get(vhostName, name, { ackMode, count, truncate, encoding });
        },
      },
      { all: { onRequest: gate, schema: { params: vhostNameParams, body: getBody, response: ok(arrayOf(gotMessageJson)) } } },
    );
  };
}
