import type { FieldTable } from '../../protocol/field-table';
import { decodeBasicProperties, type BasicProperties } from '../../protocol/generated/amqp';
import { fieldTableToJson } from '../json';

/** JSON property names (RabbitMQ's, rabbit_mgmt_format:basic_properties) and their BasicProperties fields. */
export const PROPERTIES = {
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
