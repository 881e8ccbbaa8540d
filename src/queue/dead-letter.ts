import { Decimal, Float32, readFieldValue, type FieldTable, type FieldValue } from '../protocol/field-table';
import { expirationOf } from '../protocol/properties';
import {
  arrayValue,
  editProperties,
  editTable,
  encodeValue,
  forEachEntry,
  headersBytes,
  tableAsValue,
  tableValue,
} from '../protocol/property-list';
import type { Message } from './message';

const ARRAY = 0x41;
const TABLE = 0x46;

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
 *
 * The edit is made on the property bytes: every header and property it does not change reaches the dead-letter
 * queue exactly as published, and nothing here can throw on a message that passed validation.
 */
export function deadLetterProperties(
  message: Message,
  queue: string,
  reason: DeathReason,
  routingKeys: readonly string[],
  now: number,
): Buffer {
  const properties = message.properties;
  const headers = headersBytes(properties);
  const death: FieldTable = {
    count: 1,
    reason,
    queue,
    time: new Date(Math.floor(now / 1000) * 1000),
    exchange: message.exchange,
    'routing-keys': [...routingKeys],
  };
  const expiration = expirationOf(properties);
  if (expiration !== undefined) death['original-expiration'] = expiration;
  const changes: [string, Buffer | null][] = [['x-death', deaths(tableValue(headers, 'x-death'), queue, reason, death)]];
  if (tableValue(headers, 'x-first-death-reason') === undefined) {
    changes.push(
      ['x-first-death-reason', encodeValue(reason)],
      ['x-first-death-queue', encodeValue(queue)],
      ['x-first-death-exchange', encodeValue(message.exchange)],
    );
  }
  changes.push(
    ['x-last-death-reason', encodeValue(reason)],
    ['x-last-death-queue', encodeValue(queue)],
    ['x-last-death-exchange', encodeValue(message.exchange)],
  );
  return editProperties(properties, { headers: editTable(headers, changes), dropExpiration: true });
}

/**
 * The new x-death array: the existing entry for (queue, reason), with its count raised, moved to the front; or
 * `death` in front of the existing entries. Entries are compared and copied as bytes.
 */
function deaths(existing: Buffer | undefined, queue: string, reason: DeathReason, death: FieldTable): Buffer {
  const elements: Buffer[] = [];
  let matched: Buffer | undefined;
  if (existing !== undefined && existing[0] === ARRAY) {
    const queueValue = encodeValue(queue);
    const reasonValue = encodeValue(reason);
    forEachEntry(existing, 5, existing.length, false, (_k, _e, start, end) => {
      const element = existing.subarray(start, end);
      if (
        matched === undefined &&
        element[0] === TABLE &&
        bytesEqual(tableValue(element.subarray(1), 'queue'), queueValue) &&
        bytesEqual(tableValue(element.subarray(1), 'reason'), reasonValue)
      ) {
        matched = element;
      } else {
        elements.push(element);
      }
    });
  }
  if (matched === undefined) return arrayValue([encodeValue(death), ...elements]);
  const entry = matched.subarray(1);
  const counted = editTable(entry, [['count', encodeValue(countOf(tableValue(entry, 'count')) + 1)]]);
  return arrayValue([tableAsValue(counted), ...elements]);
}

function bytesEqual(a: Buffer | undefined, b: Buffer): boolean {
  return a !== undefined && a.equals(b);
}

/** An x-death count (any integer type) as a number; 0 when it is not one. */
function countOf(value: Buffer | undefined): number {
  if (value === undefined) return 0;
  try {
    const { value: count } = readFieldValue(value, 0, value.length);
    if (typeof count === 'number' && Number.isSafeInteger(count) && count >= 0) return count;
    if (typeof count === 'bigint' && count >= 0n && count < 2n ** 53n) return Number(count);
  } catch {
    // not a value the decoder accepts: counted as none
  }
  return 0;
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

function isTable(value: FieldValue | undefined): value is FieldTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof Date) && !(value instanceof Decimal) && !(value instanceof Float32);
}
