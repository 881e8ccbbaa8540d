import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parseExpiration } from '../../protocol/properties';
import { AmqpError } from '../../protocol/amqp-error';
import type { FieldTable } from '../../protocol/field-table';
import { decodeBasicProperties, encodeBasicProperties, type BasicProperties } from '../../protocol/generated/amqp';
import type { Message, QueueEntry } from '../../queue/message';
import type { Queue } from '../../queue/queue';
import { senderRouting, type Publisher, type SenderRouting } from '../../vhost/publish';
import type { VirtualHost } from '../../vhost/vhost';
import { checkPermission, principalOf, vhostGate } from '../auth';
import type { ManagementDeps } from '../deps';
import { Errors } from '../errors';
import { fieldTableToJson, jsonToFieldTable } from '../format';
import { bodyOf, exchangeId, resource, vhostNameParams, vhostOr404 } from '../support';

/** JSON property names (RabbitMQ's, rabbit_mgmt_format:basic_properties) and their BasicProperties fields. */
const PROPERTIES = {
  content_type: 'contentType',
  content_encoding: 'contentEncoding',
  headers: 'headers',
  delivery_mode: 'deliveryMode',
  priority: 'priority',
  correlation_id: 'correlationId',
  reply_to: 'replyTo',
  expiration: 'expiration',
  message_id: 'messageId',
  timestamp: 'timestamp',
  type: 'type',
  user_id: 'userId',
  app_id: 'appId',
  cluster_id: 'clusterId',
} as const satisfies Record<string, keyof BasicProperties>;

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

/**
 * Decoded properties with RabbitMQ's snake_case names; absent ones are left out. RabbitMQ answers `[]` (an empty
 * Erlang proplist) for a message without properties, and so does this.
 */
export function formatProperties(bytes: Buffer): Record<string, unknown> | [] {
  if (bytes.length < 2) return [];
  const props = decodeBasicProperties(bytes, 0, bytes.length) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(PROPERTIES)) {
    const value = props[field];
    if (value === undefined) continue;
    out[name] = name === 'headers' ? fieldTableToJson(value as FieldTable) : typeof value === 'bigint' ? Number(value) : value;
  }
  return Object.keys(out).length === 0 ? [] : out;
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
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

/** One message of POST .../get, as RabbitMQ's rabbit_mgmt_wm_queue_get shows it. */
function describeEntry(entry: QueueEntry, queue: Queue, truncate: number | undefined, auto: boolean): Record<string, unknown> {
  const message = entry.message;
  const payload =
    truncate !== undefined && message.body.length >= truncate ? message.body.subarray(0, Math.max(0, truncate)) : message.body;
  const asString = auto && isUtf8(payload);
  return {
    payload_bytes: message.body.length,
    redelivered: entry.redelivered,
    exchange: message.exchange,
    routing_key: message.routingKey,
    message_count: queue.messageCount,
    properties: formatProperties(message.properties),
    payload: asString ? payload.toString('utf8') : payload.toString('base64'),
    payload_encoding: asString ? 'string' : 'base64',
  };
}

const ACK_MODES = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'] as const;
type AckMode = (typeof ACK_MODES)[number];

type ObjectRequest = FastifyRequest<{ Params: { vhost: string; name: string } }>;

/**
 * POST /api/exchanges/{vh}/{x}/publish and POST /api/queues/{vh}/{q}/get (rabbit_mgmt_wm_exchange_publish,
 * rabbit_mgmt_wm_queue_get). Both act as a channel of the requesting user would: permissions, topic
 * permissions, internal exchanges and user-id are checked as for basic.publish / basic.get.
 */
export function messageRoutes(deps: ManagementDeps): FastifyPluginAsync {
  const gate = vhostGate(deps);
  // One publish pipeline (its scratch) per vhost, made on first use.
  const publishers = new WeakMap<VirtualHost, Publisher>();
  const publisher = (vhost: VirtualHost): Publisher => {
    let p = publishers.get(vhost);
    if (p === undefined) publishers.set(vhost, (p = vhost.publisher()));
    return p;
  };

  return async (app) => {
    resource(
      app,
      '/exchanges/:vhost/:name/publish',
      {
        POST: async (request) => {
          const { vhost: vhostName, name } = (request as ObjectRequest).params;
          const body = bodyOf(request);
          for (const key of ['routing_key', 'properties', 'payload', 'payload_encoding']) {
            if (body[key] === undefined) throw Errors.keyMissing(key);
          }
          // RabbitMQ publishes on a channel it opens in the vhost: an unknown vhost refuses the login (401 Access
          // refused.), a missing exchange is the channel's 404 answered as 400 with the AMQP text.
          const vhost = deps.vhosts.get(vhostName);
          if (vhost === undefined) throw Errors.accessRefused();
          const exchange = vhost.exchanges.get(exchangeId(name));
          if (exchange === undefined) throw Errors.badRequest(`404 NOT_FOUND - no exchange '${name}' in vhost '${vhostName}'`);
          if (typeof body.payload !== 'string') throw Errors.badRequest('payload_not_string');
          if (typeof body.routing_key !== 'string') throw Errors.badRequest('routing_key must be a string');
          const routingKey = body.routing_key;
          const properties = toBasicProperties(body.properties);
          const payload = decodePayload(body.payload, body.payload_encoding);

          const principal = principalOf(request);
          checkPermission(deps, principal, vhostName, 'write', 'exchange', exchange.name);
          if (exchange.type.name === 'topic') deps.access.checkTopic(principal.name, vhostName, exchange.name, 'write', routingKey);
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
          let routing: SenderRouting;
          try {
            routing = senderRouting(routingKey, propertyBytes);
          } catch (err) {
            if (err instanceof AmqpError) throw Errors.badRequest(`${err.replyCode} ${err.replyText}`);
            throw err;
          }
          const message: Message = {
            id: 0,
            persistent: properties.deliveryMode === 2,
            exchange: exchange.name,
            routingKey,
            properties: routing.properties,
            body: payload,
            expiration,
            headers: undefined,
          };
          // The vhost's publish pipeline, as basic.publish: de-duplicated or held (x-delayed-message) is not routed.
          const routed = publisher(vhost).publish(exchange, message, routing.routingKeys);
          // As RabbitMQ's publish waits for the confirm: a persistent message in a durable queue is on disk first.
          if (message.id !== 0) await vhost.store.flush();
          return { routed: routed > 0 };
        },
      },
      { all: { onRequest: gate, schema: { params: vhostNameParams } } },
    );

    resource(
      app,
      '/queues/:vhost/:name/get',
      {
        POST: async (request) => {
          const { vhost: vhostName, name } = (request as ObjectRequest).params;
          const vhost = vhostOr404(deps, vhostName);
          const queue = vhost.queues.get(name);
          if (queue === undefined) throw Errors.objectNotFound();
          const body = bodyOf(request);
          for (const key of ['ackmode', 'count', 'encoding']) {
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
          if (queue.exclusiveOwner !== null) {
            throw Errors.badRequest(`cannot obtain exclusive access to locked queue '${name}' in vhost '${vhostName}'`);
          }

          const noAck = ackMode === 'ack_requeue_false';
          const taken: QueueEntry[] = [];
          const out: Record<string, unknown>[] = [];
          try {
            for (let i = 0; i < count; i++) {
              const entry = queue.take(noAck, (next) => out.push(describeEntry(next, queue, truncate, encoding === 'auto')));
              if (entry === undefined) break;
              taken.push(entry);
            }
          } finally {
            // The requeue happens after every get, as RabbitMQ rejects (or closes the channel) only at the end:
            // otherwise each get would see the same message again. It happens even when describing one failed, so
            // no message is left out of its queue.
            if (ackMode === 'ack_requeue_true' || ackMode === 'reject_requeue_true') queue.requeue(taken);
            else if (ackMode === 'reject_requeue_false') for (const entry of taken) queue.settle(entry);
          }
          return out;
        },
      },
      { all: { onRequest: gate, schema: { params: vhostNameParams } } },
    );
  };
}
