import { skipFieldValue } from './field-table-check';
import { BasicPropertyFlag, decodeBasicProperties, type BasicProperties } from './generated/amqp';
/**
 * Cheap reads of single properties from content-header property bytes (flags word + property list) without
 * decoding the rest. Malformed bytes give the "absent" answer; full validation happens where properties are decoded.
 */

const { ContentType: CONTENT_TYPE, ContentEncoding: CONTENT_ENCODING, Headers: HEADERS, DeliveryMode: DELIVERY_MODE } =
  BasicPropertyFlag;

/** The delivery-mode property (2 = persistent), or 0 when absent. */
export function deliveryModeOf(properties: Buffer): number {
  if (properties.length < 2) return 0;
  const flags = properties.readUInt16BE(0);
  if ((flags & DELIVERY_MODE) === 0) return 0;
  let offset = headersOffset(properties, flags);
  if ((flags & HEADERS) !== 0) {
    if (offset + 4 > properties.length) return 0;
    offset += 4 + properties.readUInt32BE(offset);
  }
  return offset < properties.length ? (properties[offset] as number) : 0;
}

/**
 * Whether the headers table has a top-level CC or BCC key, found by walking the keys and skipping each value by its
 * type: no decoding, no allocation, a step per entry rather than a scan of the bytes. Answers true when it cannot
 * tell (an unknown type or truncated bytes), so that the caller decodes the table and reports what is wrong.
 */
export function hasSenderKeyHeader(properties: Buffer): boolean {
  if (properties.length < 2) return false;
  const flags = properties.readUInt16BE(0);
  if ((flags & HEADERS) === 0) return false;
  let offset = headersOffset(properties, flags);
  if (offset + 4 > properties.length) return true;
  const end = offset + 4 + properties.readUInt32BE(offset);
  if (end > properties.length) return true;
  offset += 4;
  while (offset < end) {
    const keyLength = properties[offset] as number;
    const keyStart = offset + 1;
    offset = keyStart + keyLength;
    if (offset >= end) return true;
    if (
      (keyLength === 2 && properties[keyStart] === 0x43 && properties[keyStart + 1] === 0x43) ||
      (keyLength === 3 &&
        properties[keyStart] === 0x42 &&
        properties[keyStart + 1] === 0x43 &&
        properties[keyStart + 2] === 0x43)
    ) {
      return true;
    }
    offset = skipFieldValue(properties, offset, end);
    if (offset < 0) return true;
  }
  return false;
}

/**
 * Where the headers property would start: past the flag words (continuation words, bit 0, are legal though basic
 * has none in practice) and the content-type and content-encoding short strings. Past the end when truncated.
 */
function headersOffset(properties: Buffer, flags: number): number {
  let offset = 2;
  let word = flags;
  while ((word & 1) !== 0) {
    if (offset + 2 > properties.length) return properties.length;
    word = properties.readUInt16BE(offset);
    offset += 2;
  }
  if ((flags & CONTENT_TYPE) !== 0) offset = skipShortString(properties, offset);
  if ((flags & CONTENT_ENCODING) !== 0) offset = skipShortString(properties, offset);
  return offset;
}

function skipShortString(buf: Buffer, offset: number): number {
  return offset < buf.length ? offset + 1 + (buf[offset] as number) : buf.length;
}

const { Priority: PRIORITY, Expiration: EXPIRATION, Timestamp: TIMESTAMP } = BasicPropertyFlag;

/** The priority property, or undefined when absent (or the bytes are malformed). */
export function priorityOf(properties: Buffer): number | undefined {
  if (properties.length < 2 || (properties.readUInt16BE(0) & PRIORITY) === 0) return undefined;
  return decodeOrUndefined(properties)?.priority;
}

/** The expiration property as sent (a string), or undefined when absent. */
export function expirationOf(properties: Buffer): string | undefined {
  if (properties.length < 2 || (properties.readUInt16BE(0) & EXPIRATION) === 0) return undefined;
  return decodeOrUndefined(properties)?.expiration;
}

/** The timestamp property (seconds), or undefined when absent: a listing reads it without decoding the rest. */
export function timestampOf(properties: Buffer): number | undefined {
  if (properties.length < 2 || (properties.readUInt16BE(0) & TIMESTAMP) === 0) return undefined;
  return decodeOrUndefined(properties)?.timestamp;
}

/** Decodes the properties, or undefined when they are malformed. */
export function decodeOrUndefined(properties: Buffer): BasicProperties | undefined {
  try {
    return decodeBasicProperties(properties, 0, properties.length);
  } catch {
    return undefined;
  }
}

/** RabbitMQ's upper bound on TTLs (rabbit_misc:check_expiry), 10 years in ms. */
export const MAX_EXPIRY_MS = 315_360_000_000;

/**
 * The expiration property as ms, checked the way RabbitMQ checks it at publish (Erlang's string:to_integer, then a
 * range check). Returns -1 when absent, or the RabbitMQ error term (e.g. `no_integer`) as a string when invalid.
 */
export function parseExpiration(properties: Buffer): number | string {
  const text = expirationOf(properties);
  if (text === undefined) return -1;
  const match = /^([+-]?)(\d+)(.*)$/s.exec(text);
  if (match === null) return 'no_integer';
  const value = Number(`${match[1] === '-' ? '-' : ''}${match[2]}`);
  if (match[3] !== '') return `{leftover_string,${JSON.stringify(match[3])}}`;
  if (value < 0) return `{value_negative,${value}}`;
  if (value > MAX_EXPIRY_MS) return `{value_too_large,${value}}`;
  return value;
}
