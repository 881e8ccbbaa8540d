import { createHash } from 'node:crypto';
import type { Exchange } from '../../exchange/exchange';
import type { FieldTable } from '../../protocol/field-table';
import type { Binding } from '../../vhost/bindings';
import { fieldTableToJson, type Json } from '../json';

export function formatExchange(exchange: Exchange): Record<string, unknown> {
  return {
    name: exchange.name,
    vhost: exchange.vhost,
    type: exchange.type.name,
    durable: exchange.durable,
    auto_delete: exchange.autoDelete,
    internal: exchange.internal,
    arguments: fieldTableToJson(exchange.arguments),
    user_who_performed_action: '',
    message_stats: exchange.stats.toJSON(),
  };
}

/**
 * RabbitMQ's properties_key (rabbit_mgmt_format:pack_binding_props): "~" for an empty key without arguments, the
 * quote_plus'ed routing key without arguments, else "<quoted key>~<hash of the arguments>". Clients treat it as
 * opaque, so our hash need only be stable.
 */
export function propertiesKey(routingKey: string, args: FieldTable): string {
  const hasArgs = Object.keys(args).length > 0;
  if (!hasArgs) return routingKey === '' ? '~' : quotePlus(routingKey);
  return `${quotePlus(routingKey)}~${argumentsHash(args)}`;
}

function argumentsHash(args: FieldTable): string {
  return createHash('sha256').update(stableJson(fieldTableToJson(args))).digest('base64url').slice(0, 10);
}

function stableJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k] as Json)}`).join(',')}}`;
}

/** Python's quote_plus as RabbitMQ applies it: unreserved stay, space -> '+', the rest (and '~') %XX. */
export function quotePlus(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.-]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface BindingJson {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: { [key: string]: Json };
  properties_key: string;
}

export function formatBinding(vhost: string, binding: Binding): BindingJson {
  return {
    source: binding.source.name,
    vhost,
    destination: binding.destination.name,
    destination_type: binding.destinationKind,
    routing_key: binding.routingKey,
    arguments: fieldTableToJson(binding.arguments),
    properties_key: propertiesKey(binding.routingKey, binding.arguments),
  };
}

/** The implicit binding of every queue to the default exchange, which RabbitMQ lists too. */
export function defaultBinding(vhost: string, queueName: string): BindingJson {
  return {
    source: '',
    vhost,
    destination: queueName,
    destination_type: 'queue',
    routing_key: queueName,
    arguments: {},
    properties_key: propertiesKey(queueName, {}),
  };
}
