import { encodedFieldValueSize, writeFieldValue } from './field-table';
import { checkTable, skipFieldValue } from './field-table-check';
import { MAX_NESTING, type FieldValue } from './field-value';

/**
 * The basic class's content-header property list as bytes: whether it is well formed, and edits that copy every
 * byte they do not change. Messages keep the properties their publisher sent; the few paths that alter a message
 * (x-death on dead-lettering, BCC removal, direct reply-to, x-delivery-count, x-delay) edit those bytes in place
 * of decoding and re-encoding them, so a value JavaScript would represent differently (a 'b' integer, a string of
 * invalid UTF-8, a timestamp beyond a Date) reaches consumers exactly as it was published. The one byte an edit
 * changes on its own is the type octet 'L', written 'l' as RabbitMQ does when it writes properties anew (it reads
 * both as a signed 64-bit integer and has no other way to write that).
 */

const enum Kind {
  ShortString,
  Table,
  Octet,
  LongLong,
}

/** The 14 basic properties in wire order (flag bits 15 down to 2). */
const KINDS: readonly Kind[] = [
  Kind.ShortString, // content-type
  Kind.ShortString, // content-encoding
  Kind.Table, // headers
  Kind.Octet, // delivery-mode
  Kind.Octet, // priority
  Kind.ShortString, // correlation-id
  Kind.ShortString, // reply-to
  Kind.ShortString, // expiration
  Kind.ShortString, // message-id
  Kind.LongLong, // timestamp
  Kind.ShortString, // type
  Kind.ShortString, // user-id
  Kind.ShortString, // app-id
  Kind.ShortString, // cluster-id
];

const HEADERS = 2;
const REPLY_TO = 6;
const EXPIRATION = 7;
const CONTINUATION = 1;

function flagOf(index: number): number {
  return 0x8000 >>> index;
}

/**
 * Fills `spans` with [start, end) of each property's bytes (-1, -1 when absent). Returns undefined when the list is
 * well formed, else what is wrong with it. A list is well formed when RabbitMQ's decoder would accept it: no
 * continuation flag word (basic has 14 properties), every flagged property present and inside the list, a headers
 * table the field-table decoder accepts (known type octets, nesting within MAX_NESTING), nothing left over.
 */
function locate(properties: Buffer, spans: Int32Array | undefined, maxDepth = MAX_NESTING): string | undefined {
  const end = properties.length;
  if (end === 0) {
    spans?.fill(-1);
    return undefined;
  }
  if (end < 2) return 'property flags: truncated';
  const flags = properties.readUInt16BE(0);
  if ((flags & CONTINUATION) !== 0) return 'property flags: continuation words are not supported';
  let at = 2;
  for (let i = 0; i < KINDS.length; i++) {
    if ((flags & flagOf(i)) === 0) {
      if (spans !== undefined) spans[2 * i] = spans[2 * i + 1] = -1;
      continue;
    }
    const start = at;
    switch (KINDS[i]) {
      case Kind.ShortString:
        if (at >= end) return 'properties: truncated short string';
        at += 1 + (properties[at] as number);
        break;
      case Kind.Octet:
        at += 1;
        break;
      case Kind.LongLong:
        at += 8;
        break;
      case Kind.Table: {
        const invalid = checkTable(properties, at, end, maxDepth);
        if (invalid !== undefined) return `headers: ${invalid}`;
        at += 4 + properties.readUInt32BE(at);
        break;
      }
    }
    if (at > end) return 'properties: truncated';
    if (spans !== undefined) {
      spans[2 * i] = start;
      spans[2 * i + 1] = at;
    }
  }
  if (at !== end) return `properties: ${end - at} bytes after the last property`;
  return undefined;
}

/**
 * What is wrong with a property list (flags and values, as in a content header), or undefined when it is well
 * formed; `maxDepth` bounds the headers' nesting below the codec's own. Allocates nothing: called for every
 * published message.
 */
export function checkProperties(properties: Buffer, maxDepth = MAX_NESTING): string | undefined {
  return locate(properties, undefined, maxDepth);
}

/** What to change in a property list; everything not named keeps its bytes. */
export interface PropertyEdit {
  /** A new headers table (4-byte length prefix included). */
  readonly headers?: Buffer;
  /** A new reply-to. */
  readonly replyTo?: string;
  /** Removes the expiration property. */
  readonly dropExpiration?: boolean;
}

/**
 * The property list with `edit` applied. A list that is not well formed (which validation at publish and at load
 * keeps out of queues) comes back unchanged: an edit never throws on a message. Each 'L' in the headers, edited or
 * not, comes back as 'l' (RabbitMQ re-encodes every property when it changes one: probed with dead-lettering).
 */
export function editProperties(properties: Buffer, edit: PropertyEdit): Buffer {
  const spans = new Int32Array(2 * KINDS.length);
  if (locate(properties, spans) !== undefined) return properties;
  const replacements: (Buffer | null | undefined)[] = [];
  if (edit.headers !== undefined) replacements[HEADERS] = edit.headers;
  if (edit.replyTo !== undefined) replacements[REPLY_TO] = shortString(edit.replyTo);
  if (edit.dropExpiration === true) replacements[EXPIRATION] = null;
  let flags = properties.length >= 2 ? properties.readUInt16BE(0) : 0;
  let size = 2;
  for (let i = 0; i < KINDS.length; i++) {
    const replacement = replacements[i];
    if (replacement === null) flags &= ~flagOf(i);
    else if (replacement !== undefined) flags |= flagOf(i);
    if ((flags & flagOf(i)) === 0) continue;
    size += replacement != null ? replacement.length : (spans[2 * i + 1] as number) - (spans[2 * i] as number);
  }
  // Its own allocation: an edited message is kept by queues (a pooled one would keep a whole pool alive).
  const out = Buffer.allocUnsafeSlow(size);
  out.writeUInt16BE(flags, 0);
  let o = 2;
  for (let i = 0; i < KINDS.length; i++) {
    if ((flags & flagOf(i)) === 0) continue;
    const start = o;
    const replacement = replacements[i];
    if (replacement != null) o += replacement.copy(out, o);
    else o += properties.copy(out, o, spans[2 * i] as number, spans[2 * i + 1] as number);
    if (i === HEADERS && o - start >= 4 && out.indexOf(0x4c, start + 4) >= 0) {
      longsAsRabbitWritesThem(out, start + 4, Math.min(o, start + 4 + out.readUInt32BE(start)), true);
    }
  }
  return out;
}

/**
 * Rewrites, in place, each 'L' type octet of the table (keyed) or array whose body is buf[start, end), nested ones
 * included, as 'l': the same value (RabbitMQ reads both as a signed 64-bit integer) in the octet RabbitMQ writes.
 */
function longsAsRabbitWritesThem(buf: Buffer, start: number, end: number, keyed: boolean): void {
  forEachEntry(buf, start, end, keyed, (_keyStart, _keyEnd, valueStart, valueEnd) => {
    const type = buf[valueStart];
    if (type === 0x4c) buf[valueStart] = 0x6c;
    else if (type === 0x46 || type === 0x41) longsAsRabbitWritesThem(buf, valueStart + 5, valueEnd, type === 0x46);
  });
}

/** The headers table's bytes (length prefix included) as a view, or undefined when the message has none. */
export function headersBytes(properties: Buffer): Buffer | undefined {
  const spans = new Int32Array(2 * KINDS.length);
  if (locate(properties, spans) !== undefined || spans[2 * HEADERS]! < 0) return undefined;
  return properties.subarray(spans[2 * HEADERS], spans[2 * HEADERS + 1]);
}

/** The property list with top-level headers set or removed (see editTable); every other byte is kept. */
export function editHeaders(properties: Buffer, changes: ReadonlyArray<readonly [string, Buffer | null]>): Buffer {
  return editProperties(properties, { headers: editTable(headersBytes(properties), changes) });
}

/** One field value encoded with its type octet, for editTable and array building. */
export function encodeValue(value: FieldValue): Buffer {
  const out = Buffer.allocUnsafe(encodedFieldValueSize(value));
  writeFieldValue(out, 0, value);
  return out;
}

/** [start, end) of each top-level entry's value (type octet included) in a table or array body. */
export interface EntryVisitor {
  /** keyStart/keyEnd are -1 for array elements. Return false to stop. */
  (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): boolean | void;
}

/**
 * Walks the entries of the table (keyed) or array whose body is buf[start, end). Stops quietly at anything
 * malformed, which checkTable keeps out.
 */
export function forEachEntry(buf: Buffer, start: number, end: number, keyed: boolean, visit: EntryVisitor): void {
  let at = start;
  while (at < end) {
    let keyStart = -1;
    let keyEnd = -1;
    if (keyed) {
      keyStart = at + 1;
      keyEnd = keyStart + (buf[at] as number);
      at = keyEnd;
      if (at >= end) return;
    }
    const next = skipFieldValue(buf, at, end);
    if (next < 0) return;
    if (visit(keyStart, keyEnd, at, next) === false) return;
    at = next;
  }
}

/** The value bytes (type octet included) of `key` in a table (length prefix included), or undefined. */
export function tableValue(table: Buffer | undefined, key: string): Buffer | undefined {
  if (table === undefined || table.length < 4) return undefined;
  const wanted = Buffer.from(key, 'utf8');
  let found: Buffer | undefined;
  forEachEntry(table, 4, Math.min(table.length, 4 + table.readUInt32BE(0)), true, (keyStart, keyEnd, start, end) => {
    if (keyEnd - keyStart === wanted.length && wanted.equals(table.subarray(keyStart, keyEnd))) {
      found = table.subarray(start, end);
      return false;
    }
    return true;
  });
  return found;
}

/**
 * A table (length prefix included) with `changes` applied: a key with a Buffer gets that encoded value (type octet
 * included; in place when the key exists, else appended), a key with null is removed. Every other entry is copied
 * byte for byte. `table` undefined stands for an empty table.
 */
export function editTable(table: Buffer | undefined, changes: ReadonlyArray<readonly [string, Buffer | null]>): Buffer {
  const keys = changes.map(([key]) => Buffer.from(key, 'utf8'));
  const used = new Array<boolean>(changes.length).fill(false);
  const parts: Buffer[] = [];
  if (table !== undefined && table.length >= 4) {
    const end = Math.min(table.length, 4 + table.readUInt32BE(0));
    forEachEntry(table, 4, end, true, (keyStart, keyEnd, _valueStart, valueEnd) => {
      const key = table.subarray(keyStart, keyEnd);
      const index = keys.findIndex((k, i) => !used[i] && k.equals(key));
      if (index < 0) {
        parts.push(table.subarray(keyStart - 1, valueEnd));
        return;
      }
      used[index] = true;
      const value = changes[index]![1];
      if (value !== null) parts.push(table.subarray(keyStart - 1, keyEnd), value);
    });
  }
  changes.forEach(([, value], i) => {
    if (used[i] || value === null) return;
    const key = keys[i]!;
    // Keys are the broker's own names (x-death, x-delivery-count, ...): short by construction.
    parts.push(Buffer.from([Math.min(key.length, 255)]), key.subarray(0, 255), value);
  });
  return withLength(parts, 0x00);
}

/** An array value (type octet 'A' included) of the given encoded elements, in order. */
export function arrayValue(elements: readonly Buffer[]): Buffer {
  return withLength(elements, 0x41);
}

/** A table value (type octet 'F' included) of the body bytes of `table` (a table with its length prefix). */
export function tableAsValue(table: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x46]), table]);
}

/** parts joined behind a 4-byte length (and a type octet first, unless it is 0). */
function withLength(parts: readonly Buffer[], type: number): Buffer {
  let length = 0;
  for (const part of parts) length += part.length;
  const head = type === 0 ? 4 : 5;
  const out = Buffer.allocUnsafeSlow(head + length);
  if (type !== 0) out[0] = type;
  out.writeUInt32BE(length, head - 4);
  let o = head;
  for (const part of parts) o += part.copy(out, o);
  return out;
}

function shortString(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const length = Math.min(bytes.length, 255);
  return Buffer.concat([Buffer.from([length]), bytes.subarray(0, length)]);
}
