import { Decimal, Float32, type FieldTable, type FieldValue } from '../protocol/field-table';
import { rewriteProperties } from '../protocol/properties';
import type { Message } from './message';

/** Why a message left a queue for its dead-letter exchange (the x-death reason). */
export type DeathReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** The routing keys a message was published with: its routing key plus the CC header's keys. */
export function publishedRoutingKeys(message: Message, headers: FieldTable | undefined): string[] {
  const keys = [message.routingKey];
  const cc = headers?.CC;
  if (Array.isArray(cc)) for (const key of cc) if (typeof key === 'string') keys.push(key);
  return keys;
}

/**
 * The properties of a message dead-lettered from `queue`: the x-death entry for (queue, reason) is added at the
 * front, or its count raised and moved to the front when the message died there for that reason before;
 * x-first-death-* are set once and x-last-death-* every time; a per-message expiration moves to
 * original-expiration so the copy does not expire again for the same reason.
 */
export function deadLetterProperties(
  message: Message,
  queue: string,
  reason: DeathReason,
  routingKeys: readonly string[],
  now: number,
): Buffer {
  return rewriteProperties(message.properties, (props) => {
    const headers: FieldTable = { ...(props.headers ?? {}) };
    const deaths = Array.isArray(headers['x-death']) ? [...(headers['x-death'] as FieldValue[])] : [];
    const index = deaths.findIndex((d) => isTable(d) && d.queue === queue && d.reason === reason);
    if (index >= 0) {
      const previous = deaths[index] as FieldTable;
      deaths.splice(index, 1);
      deaths.unshift({ ...previous, count: countOf(previous) + 1 });
    } else {
      const death: FieldTable = {
        count: 1,
        reason,
        queue,
        time: new Date(Math.floor(now / 1000) * 1000),
        exchange: message.exchange,
        'routing-keys': [...routingKeys],
      };
      if (props.expiration !== undefined) death['original-expiration'] = props.expiration;
      deaths.unshift(death);
    }
    headers['x-death'] = deaths;
    if (headers['x-first-death-reason'] === undefined) {
      headers['x-first-death-reason'] = reason;
      headers['x-first-death-queue'] = queue;
      headers['x-first-death-exchange'] = message.exchange;
    }
    headers['x-last-death-reason'] = reason;
    headers['x-last-death-queue'] = queue;
    headers['x-last-death-exchange'] = message.exchange;
    props.headers = headers;
    props.expiration = undefined;
  });
}

/**
 * RabbitMQ's cycle rule: dead-lettering into `target` is a cycle when the x-death history (newest first) reaches an
 * entry for `target` and none of the deaths up to and including it was a rejection. Such copies are dropped; a cycle
 * a client broke with an explicit reject keeps going.
 */
export function isDeadLetterCycle(headers: FieldTable | undefined, target: string): boolean {
  const deaths = headers?.['x-death'];
  if (!Array.isArray(deaths)) return false;
  for (const death of deaths) {
    if (!isTable(death)) return false;
    if (death.reason === 'rejected') return false;
    if (death.queue === target) return true;
  }
  return false;
}

function countOf(death: FieldTable): number {
  const count = death.count;
  if (typeof count === 'number') return count;
  if (typeof count === 'bigint') return Number(count);
  return 0;
}

function isTable(value: FieldValue | undefined): value is FieldTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof Date) && !(value instanceof Decimal) && !(value instanceof Float32);
}
