import { isUtf8 } from 'node:buffer';
import { checkProperties } from '../../protocol/property-list';
import type { StoredQuarantine } from '../../store/store';
import { formatProperties } from './properties';

/** A quarantined message: properties decoded when they decode, else as base64 with the reason. */
export function formatQuarantined(r: StoredQuarantine): Record<string, unknown> {
  const problem = checkProperties(r.properties);
  const text = isUtf8(r.body);
  return {
    id: r.id,
    vhost: r.vhost,
    queue: r.queue,
    reason: r.reason,
    at: r.at,
    exchange: r.exchange,
    routing_key: r.routingKey,
    properties: problem === undefined ? formatProperties(r.properties) : null,
    ...(problem === undefined ? {} : { properties_base64: r.properties.toString('base64'), properties_problem: problem }),
    payload_bytes: r.body.length,
    payload: text ? r.body.toString('utf8') : r.body.toString('base64'),
    payload_encoding: text ? 'string' : 'base64',
  };
}
