/**
 * AMQP 0-9-1 field tables and field values (RabbitMQ's dialect of the type octets).
 *
 * Decoding never reads outside [offset, end): truncated data, a length beyond the end, an unknown type octet or
 * nesting deeper than MAX_NESTING all throw FrameSyntaxError.
 *
 * Type octets read:  t bool, b int8, B uint8, s int16, u uint16, I int32, i uint32, l and L int64 (number when a
 * safe integer, else bigint), f float (Float32), d double, D decimal, S longstr (string; bytes that are not UTF-8 are
 * kept as escapes, see utf8.ts; keys likewise), x byte array (Buffer), A array,
 * T timestamp (Date, seconds; a WideTimestamp when a Date cannot hold it), F table, V void (null).
 * These are the octets RabbitMQ's parser reads (rabbit_binary_parser.erl), with its meanings: 'L', which the 0-9-1
 * grammar calls unsigned, is a signed 64-bit integer there as here (py-amqp writes integers beyond 32 bits as 'L');
 * 'U' and anything else is refused.
 * Type octets written: string S, boolean t, integer in int32 range I, other integer in int64 range l, any other
 * number d, bigint l, Buffer x, Date T, Decimal D, Float32 f, array A, null/undefined V, other object F. Never 'L':
 * RabbitMQ writes what it read as 'L' back as 'l'.
 *
 * Every value decoding can produce encodes again without an error: a stored or routed table never makes a later
 * path throw. checkTable tells, without allocating, whether readTable would accept bytes.
 *
 * This file is the codec (decoding, then encoding). The value types are in field-value.ts, checking and skipping
 * without decoding in field-table-check.ts, equality in field-table-equality.ts; all are re-exported from here.
 */
import { FrameSyntaxError } from './errors';
import { Decimal, Float32, MAX_NESTING, WideTimestamp, type FieldTable, type FieldValue } from './field-value';
import { decodeBytes, encodedLength, writeString } from './utf8';

export {
  Decimal,
  Float32,
  MAX_NESTING,
  WideTimestamp,
  fieldTypeName,
  type FieldTable,
  type FieldValue,
} from './field-value';
export { checkTable, skipFieldValue } from './field-table-check';
export { fieldValuesEqual, tablesEqual } from './field-table-equality';

/** Seconds since the epoch a Date holds exactly: its range is +-8.64e15 ms. */
const DATE_MAX_SECONDS = 8_640_000_000_000;

const TWO_32 = 4294967296;
const INT64_MIN = -(2 ** 63);
const INT64_LIMIT = 2 ** 63;
const INT64_MIN_BIG = -(2n ** 63n);
const INT64_LIMIT_BIG = 2n ** 63n;

// ---------------------------------------------------------------------------------------------------------------
// Decoding. `pos` is the read cursor shared by the recursive readers below (decoding is synchronous, so one
// module-level cursor avoids allocating a result object per value).
// ---------------------------------------------------------------------------------------------------------------

let pos = 0;

function truncated(what: string): FrameSyntaxError {
  return new FrameSyntaxError(`field table: truncated ${what}`);
}

function readLength(buf: Buffer, stop: number, what: string): number {
  if (pos + 4 > stop) throw truncated(`${what} length`);
  const len = buf.readUInt32BE(pos);
  pos += 4;
  if (len > stop - pos) throw new FrameSyntaxError(`field table: ${what} length ${len} exceeds the available data`);
  return len;
}

function setKey(table: FieldTable, key: string, value: FieldValue): void {
  if (key === '__proto__') {
    Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    table[key] = value;
  }
}

function readTableBody(buf: Buffer, stop: number, depth: number): FieldTable {
  if (depth > MAX_NESTING) throw new FrameSyntaxError(`field table: nested deeper than ${MAX_NESTING}`);
  const table: FieldTable = {};
  while (pos < stop) {
    const keyLen = buf[pos]!;
    pos += 1;
    if (keyLen > stop - pos) throw truncated('key');
    const key = decodeBytes(buf, pos, pos + keyLen);
    pos += keyLen;
    setKey(table, key, readValue(buf, stop, depth));
  }
  return table;
}

function readArrayBody(buf: Buffer, stop: number, depth: number): FieldValue[] {
  if (depth > MAX_NESTING) throw new FrameSyntaxError(`field table: nested deeper than ${MAX_NESTING}`);
  const values: FieldValue[] = [];
  while (pos < stop) values.push(readValue(buf, stop, depth));
  return values;
}

function need(n: number, stop: number, what: string): void {
  if (pos + n > stop) throw truncated(what);
}

function readValue(buf: Buffer, stop: number, depth: number): FieldValue {
  if (pos >= stop) throw truncated('value type');
  const type = buf[pos]!;
  pos += 1;
  let v: FieldValue;
  switch (type) {
    case 0x74: // t
      need(1, stop, 'boolean');
      v = buf[pos]! !== 0;
      pos += 1;
      return v;
    case 0x62: // b
      need(1, stop, 'int8');
      v = buf.readInt8(pos);
      pos += 1;
      return v;
    case 0x42: // B
      need(1, stop, 'uint8');
      v = buf[pos]!;
      pos += 1;
      return v;
    case 0x73: // s
      need(2, stop, 'int16');
      v = buf.readInt16BE(pos);
      pos += 2;
      return v;
    case 0x75: // u
      need(2, stop, 'uint16');
      v = buf.readUInt16BE(pos);
      pos += 2;
      return v;
    case 0x49: // I
      need(4, stop, 'int32');
      v = buf.readInt32BE(pos);
      pos += 4;
      return v;
    case 0x69: // i
      need(4, stop, 'uint32');
      v = buf.readUInt32BE(pos);
      pos += 4;
      return v;
    case 0x6c: // l
    case 0x4c: {
      // L: signed like l, as RabbitMQ reads it
      need(8, stop, 'int64');
      const n = buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
      v = Number.isSafeInteger(n) ? n : buf.readBigInt64BE(pos);
      pos += 8;
      return v;
    }
    case 0x66: // f
      need(4, stop, 'float');
      v = new Float32(buf.readFloatBE(pos));
      pos += 4;
      return v;
    case 0x64: // d
      need(8, stop, 'double');
      v = buf.readDoubleBE(pos);
      pos += 8;
      return v;
    case 0x44: // D
      need(5, stop, 'decimal');
      v = new Decimal(buf[pos]!, buf.readUInt32BE(pos + 1));
      pos += 5;
      return v;
    case 0x53: {
      // S
      const len = readLength(buf, stop, 'long string');
      v = decodeBytes(buf, pos, pos + len);
      pos += len;
      return v;
    }
    case 0x78: {
      // x
      const len = readLength(buf, stop, 'byte array');
      v = Buffer.from(buf.subarray(pos, pos + len));
      pos += len;
      return v;
    }
    case 0x41: {
      // A
      const len = readLength(buf, stop, 'array');
      return readArrayBody(buf, pos + len, depth + 1);
    }
    case 0x54: {
      // T
      need(8, stop, 'timestamp');
      const seconds = buf.readUInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
      v = seconds <= DATE_MAX_SECONDS ? new Date(seconds * 1000) : new WideTimestamp(buf.readBigUInt64BE(pos));
      pos += 8;
      return v;
    }
    case 0x46: {
      // F
      const len = readLength(buf, stop, 'table');
      return readTableBody(buf, pos + len, depth + 1);
    }
    case 0x56: // V
      return null;
    default:
      throw new FrameSyntaxError(`field table: unknown field type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

/**
 * Reads a field table (4-byte length prefix, then the entries) starting at offset; the table must end at or before
 * end. Returns the table and the offset just past it.
 */
export function readTable(buf: Buffer, offset: number, end: number): { table: FieldTable; offset: number } {
  const table = readTableAt(buf, offset, end);
  return { table, offset: pos };
}

/**
 * Allocation-lean variant for generated code: returns only the table. The offset past it is
 * offset + 4 + buf.readUInt32BE(offset).
 */
export function readTableAt(buf: Buffer, offset: number, end: number): FieldTable {
  if (end > buf.length) end = buf.length;
  pos = offset;
  const len = readLength(buf, end, 'table');
  return readTableBody(buf, pos + len, 0);
}

/** Reads one field value (type octet then data) at offset. Returns the value and the offset just past it. */
export function readFieldValue(buf: Buffer, offset: number, end: number): { value: FieldValue; offset: number } {
  if (end > buf.length) end = buf.length;
  pos = offset;
  const value = readValue(buf, end, 0);
  return { value, offset: pos };
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding: size first (encodedTableSize), then write into a buffer of that size (writeTable).
// ---------------------------------------------------------------------------------------------------------------

function isInt32(n: number): boolean {
  return (n | 0) === n;
}

function isInt64Number(n: number): boolean {
  return Number.isInteger(n) && n >= INT64_MIN && n < INT64_LIMIT;
}

function tooDeep(): RangeError {
  return new RangeError(`field table nested deeper than ${MAX_NESTING} (cyclic value?)`);
}

function keySize(key: string): number {
  const n = encodedLength(key);
  if (n > 255) throw new RangeError(`field table key longer than 255 bytes: ${key.slice(0, 40)}...`);
  return 1 + n;
}

function tableBodySize(t: FieldTable, depth: number): number {
  if (depth > MAX_NESTING) throw tooDeep();
  let size = 0;
  for (const key in t) {
    if (!Object.prototype.hasOwnProperty.call(t, key)) continue;
    size += keySize(key) + valueSize(t[key], depth);
  }
  return size;
}

function valueSize(v: FieldValue | undefined, depth: number): number {
  switch (typeof v) {
    case 'string':
      return 5 + encodedLength(v);
    case 'boolean':
      return 2;
    case 'number':
      return isInt32(v) ? 5 : 9;
    case 'bigint':
      if (v < INT64_MIN_BIG || v >= INT64_LIMIT_BIG) throw new RangeError(`bigint ${v} is outside the int64 range`);
      return 9;
    case 'undefined':
      return 1;
    case 'object':
      if (v === null) return 1;
      if (Buffer.isBuffer(v)) return 5 + v.length;
      if (v instanceof Date) return 9;
      if (v instanceof Decimal) return 6;
      if (v instanceof Float32) return 5;
      if (Array.isArray(v)) {
        if (depth + 1 > MAX_NESTING) throw tooDeep();
        let size = 5;
        for (let i = 0; i < v.length; i++) size += valueSize(v[i], depth + 1);
        return size;
      }
      return 5 + tableBodySize(v, depth + 1);
    default:
      throw new TypeError(`cannot encode a ${typeof v} in a field table`);
  }
}

/** Encoded size of a table in bytes, including its 4-byte length prefix. */
export function encodedTableSize(t: FieldTable): number {
  return 4 + tableBodySize(t, 0);
}

/** Encoded size of one field value including its type octet. */
export function encodedFieldValueSize(v: FieldValue): number {
  return valueSize(v, 0);
}

function writeTableBody(buf: Buffer, o: number, t: FieldTable, depth: number): number {
  if (depth > MAX_NESTING) throw tooDeep();
  const start = o;
  o += 4;
  for (const key in t) {
    if (!Object.prototype.hasOwnProperty.call(t, key)) continue;
    const keyLen = writeString(buf, o + 1, key);
    buf[o] = keyLen;
    o = writeValue(buf, o + 1 + keyLen, t[key], depth);
  }
  buf.writeUInt32BE(o - start - 4, start);
  return o;
}

function writeValue(buf: Buffer, o: number, v: FieldValue | undefined, depth: number): number {
  switch (typeof v) {
    case 'string': {
      buf[o] = 0x53; // S
      const n = writeString(buf, o + 5, v);
      buf.writeUInt32BE(n, o + 1);
      return o + 5 + n;
    }
    case 'boolean':
      buf[o] = 0x74; // t
      buf[o + 1] = v ? 1 : 0;
      return o + 2;
    case 'number':
      if (isInt32(v)) {
        buf[o] = 0x49; // I
        buf.writeInt32BE(v, o + 1);
        return o + 5;
      }
      if (isInt64Number(v)) {
        buf[o] = 0x6c; // l
        buf.writeBigInt64BE(BigInt(v), o + 1);
        return o + 9;
      }
      buf[o] = 0x64; // d
      buf.writeDoubleBE(v, o + 1);
      return o + 9;
    case 'bigint':
      buf[o] = 0x6c; // l
      buf.writeBigInt64BE(v, o + 1); // range checked by valueSize
      return o + 9;
    case 'undefined':
      buf[o] = 0x56; // V
      return o + 1;
    case 'object': {
      if (v === null) {
        buf[o] = 0x56; // V
        return o + 1;
      }
      if (Buffer.isBuffer(v)) {
        buf[o] = 0x78; // x
        buf.writeUInt32BE(v.length, o + 1);
        v.copy(buf, o + 5);
        return o + 5 + v.length;
      }
      if (v instanceof WideTimestamp) {
        buf[o] = 0x54; // T
        buf.writeBigUInt64BE(v.seconds, o + 1);
        return o + 9;
      }
      if (v instanceof Date) {
        buf[o] = 0x54; // T
        const secs = Math.floor(v.getTime() / 1000);
        if (!(secs >= 0)) throw new RangeError('cannot encode a timestamp before 1970 or an invalid Date');
        buf.writeUInt32BE(Math.floor(secs / TWO_32), o + 1);
        buf.writeUInt32BE(secs % TWO_32, o + 5);
        return o + 9;
      }
      if (v instanceof Float32) {
        buf[o] = 0x66; // f
        buf.writeFloatBE(v.value, o + 1);
        return o + 5;
      }
      if (v instanceof Decimal) {
        buf[o] = 0x44; // D
        buf.writeUInt8(v.places, o + 1);
        buf.writeUInt32BE(v.digits, o + 2);
        return o + 6;
      }
      if (Array.isArray(v)) {
        if (depth + 1 > MAX_NESTING) throw tooDeep();
        buf[o] = 0x41; // A
        const start = o + 1;
        o += 5;
        for (let i = 0; i < v.length; i++) o = writeValue(buf, o, v[i], depth + 1);
        buf.writeUInt32BE(o - start - 4, start);
        return o;
      }
      buf[o] = 0x46; // F
      return writeTableBody(buf, o + 1, v, depth + 1);
    }
    default:
      throw new TypeError(`cannot encode a ${typeof v} in a field table`);
  }
}

/** Writes t (length prefix included) at offset; buf must have encodedTableSize(t) bytes there. Returns the new offset. */
export function writeTable(buf: Buffer, offset: number, t: FieldTable): number {
  return writeTableBody(buf, offset, t, 0);
}

/** Writes one field value (type octet included) at offset. Returns the new offset. */
export function writeFieldValue(buf: Buffer, offset: number, v: FieldValue): number {
  return writeValue(buf, offset, v, 0);
}

/** Encodes a table into a new buffer (length prefix included). */
export function encodeTable(t: FieldTable): Buffer {
  const buf = Buffer.allocUnsafe(encodedTableSize(t));
  writeTable(buf, 0, t);
  return buf;
}
