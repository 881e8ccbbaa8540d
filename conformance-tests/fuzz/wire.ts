/**
 * Byte-level building blocks for the fuzzer: frames with any size, type, channel or end octet; where each argument
 * of an encoded method lies (walked from the spec's field types, so a mutation can hit one field precisely); and
 * raw encoders for field values, tables and content-header property lists that go where the codec's own encoders
 * refuse to go (int64 and timestamp extremes, nesting past 64, unknown type octets, a flag set with no value).
 *
 * Valid frames come from the generated codec (encodeMethodFrame, encodeBasicProperties); this file only builds the
 * bytes the codec would never produce.
 */
import { skipFieldValue } from '../../src/protocol/field-table';
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD } from '../../src/protocol/generated/amqp';
import type { SpecField } from '../../src/protocol/test-support/random';

export { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD };

/** Bytes of a frame around its payload: type, channel, size, payload, frame-end. */
export const FRAME_OVERHEAD = 8;

export interface FrameOverrides {
  /** Announced payload size (defaults to the real one). */
  size?: number;
  /** Frame-end octet (defaults to 0xCE). */
  end?: number;
}

export function frame(type: number, channel: number, payload: Buffer, o: FrameOverrides = {}): Buffer {
  const b = Buffer.alloc(payload.length + FRAME_OVERHEAD);
  b[0] = type & 0xff;
  b.writeUInt16BE(channel & 0xffff, 1);
  b.writeUInt32BE((o.size ?? payload.length) >>> 0, 3);
  payload.copy(b, 7);
  b[b.length - 1] = o.end ?? FRAME_END;
  return b;
}

/** The payload of a whole frame (no checks: the frame was built here). */
export function payloadOf(f: Buffer): Buffer {
  return f.subarray(7, f.length - 1);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** An unsigned 64-bit integer from a bigint (taken modulo 2^64, so -1n is 0xffffffffffffffff). */
export function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, n));
  return b;
}

export function shortstr(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([Buffer.from([Math.min(bytes.length, 255)]), bytes.subarray(0, 255)]);
}

export function longstr(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([u32(bytes.length), bytes]);
}

// ---- argument spans ---------------------------------------------------------------------------------------------

export interface FieldSpan {
  field: SpecField;
  /** Offset in the method payload (which starts with the class and method ids). */
  start: number;
  end: number;
  /** For bit fields: the bit within the octet at start. */
  bit?: number;
}

/**
 * Where each argument lies in a method payload, walked from the spec's field types. Stops at the first field that
 * runs past the end (the spans so far are returned).
 */
export function argumentSpans(fields: readonly SpecField[], payload: Buffer): FieldSpan[] {
  const spans: FieldSpan[] = [];
  let at = 4;
  let bit = 8;
  for (const field of fields) {
    if (field.type === 'bit') {
      if (bit >= 8) {
        if (at + 1 > payload.length) break;
        bit = 0;
        at += 1;
      }
      spans.push({ field, start: at - 1, end: at, bit });
      bit += 1;
      continue;
    }
    bit = 8;
    let size: number;
    switch (field.type) {
      case 'octet':
        size = 1;
        break;
      case 'short':
        size = 2;
        break;
      case 'long':
        size = 4;
        break;
      case 'longlong':
      case 'timestamp':
        size = 8;
        break;
      case 'shortstr':
        if (at + 1 > payload.length) return spans;
        size = 1 + payload[at]!;
        break;
      case 'longstr':
      case 'table':
        if (at + 4 > payload.length) return spans;
        size = 4 + payload.readUInt32BE(at);
        break;
      default:
        return spans;
    }
    if (at + size > payload.length) break;
    spans.push({ field, start: at, end: at + size });
    at += size;
  }
  return spans;
}

/** The payload with bytes [start, end) replaced by `bytes`. */
export function splice(payload: Buffer, start: number, end: number, bytes: Buffer): Buffer {
  return Buffer.concat([payload.subarray(0, start), bytes, payload.subarray(end)]);
}

export interface EntrySpan {
  /** Offset of the key's length octet. */
  keyAt: number;
  /** Offset of the value's type octet. */
  typeAt: number;
  /** Offset just past the value. */
  end: number;
}

/** The entries of the table whose 4-byte length starts at `at`. Stops at the first entry it cannot step over. */
export function tableEntries(buf: Buffer, at: number): EntrySpan[] {
  const entries: EntrySpan[] = [];
  if (at + 4 > buf.length) return entries;
  const stop = Math.min(buf.length, at + 4 + buf.readUInt32BE(at));
  let p = at + 4;
  while (p < stop) {
    const typeAt = p + 1 + buf[p]!;
    if (typeAt >= stop) break;
    const end = skipFieldValue(buf, typeAt, stop);
    if (end < 0) break;
    entries.push({ keyAt: p, typeAt, end });
    p = end;
  }
  return entries;
}

// ---- raw field values ------------------------------------------------------------------------------------------

/** Raw field values (type octet and value) for tables and arrays, including ones no JS value maps to. */
export const fv = {
  str: (s: string | Buffer): Buffer => Buffer.concat([Buffer.from('S'), longstr(s)]),
  bytes: (b: Buffer): Buffer => Buffer.concat([Buffer.from('x'), longstr(b)]),
  bool: (v: boolean): Buffer => Buffer.from([0x74, v ? 1 : 0]),
  i8: (n: number): Buffer => Buffer.from([0x62, n & 0xff]),
  u8: (n: number): Buffer => Buffer.from([0x42, n & 0xff]),
  i16: (n: number): Buffer => Buffer.concat([Buffer.from('s'), u16(n)]),
  u16: (n: number): Buffer => Buffer.concat([Buffer.from('u'), u16(n)]),
  i32: (n: number): Buffer => Buffer.concat([Buffer.from('I'), u32(n)]),
  u32: (n: number): Buffer => Buffer.concat([Buffer.from('i'), u32(n)]),
  i64: (n: bigint): Buffer => Buffer.concat([Buffer.from('l'), u64(n)]),
  f32: (n: number): Buffer => {
    const b = Buffer.alloc(5);
    b[0] = 0x66;
    b.writeFloatBE(n, 1);
    return b;
  },
  f64: (n: number): Buffer => {
    const b = Buffer.alloc(9);
    b[0] = 0x64;
    b.writeDoubleBE(n, 1);
    return b;
  },
  decimal: (places: number, digits: number): Buffer => Buffer.concat([Buffer.from([0x44, places & 0xff]), u32(digits)]),
  timestamp: (n: bigint): Buffer => Buffer.concat([Buffer.from('T'), u64(n)]),
  void: (): Buffer => Buffer.from('V'),
  array: (values: Buffer[]): Buffer => {
    const body = Buffer.concat(values);
    return Buffer.concat([Buffer.from('A'), u32(body.length), body]);
  },
  table: (entries: ReadonlyArray<readonly [string | Buffer, Buffer]>): Buffer => Buffer.concat([Buffer.from('F'), rawTable(entries)]),
};

/** A field table (4-byte length, then key shortstr + raw value per entry). */
export function rawTable(entries: ReadonlyArray<readonly [string | Buffer, Buffer]>): Buffer {
  const body = Buffer.concat(entries.flatMap(([k, v]) => [shortstr(k), v]));
  return Buffer.concat([u32(body.length), body]);
}

/**
 * A field value nested `depth` levels deep (tables holding one entry 'n', or every other level an array),
 * innermost holding `leaf`. Written into one buffer from the outside in: nesting thousands deep stays linear.
 */
export function nestedValue(depth: number, leaf: Buffer, viaArrays = false): Buffer {
  const isArray = (level: number): boolean => viaArrays && level % 2 === 1;
  // Bytes a level adds around its inner value: type octet, 4-byte length, and for tables the key 'n'.
  const overhead = (level: number): number => (isArray(level) ? 5 : 7);
  let total = leaf.length;
  for (let i = 0; i < depth; i++) total += overhead(i);
  const b = Buffer.alloc(total);
  let at = 0;
  let inner = total;
  for (let i = depth - 1; i >= 0; i--) {
    inner -= overhead(i);
    if (isArray(i)) {
      b[at] = 0x41;
      b.writeUInt32BE(inner, at + 1);
      at += 5;
    } else {
      b[at] = 0x46;
      b.writeUInt32BE(inner + 2, at + 1);
      b[at + 5] = 1;
      b[at + 6] = 0x6e;
      at += 7;
    }
  }
  leaf.copy(b, at);
  return b;
}

/** A table holding one value nested `depth` levels deep. */
export function nestedTable(depth: number, leaf: Buffer = fv.i32(1), viaArrays = false): Buffer {
  return rawTable([['deep', nestedValue(depth, leaf, viaArrays)]]);
}

/** Sequences that are not UTF-8, and some that are valid but awkward, for short strings and keys. */
export const AWKWARD_BYTES: readonly Buffer[] = [
  Buffer.from([0xff]),
  Buffer.from([0xc0, 0x80]), // overlong NUL
  Buffer.from([0xed, 0xa0, 0x80]), // UTF-16 surrogate
  Buffer.from([0xe2, 0x82]), // truncated sequence
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
  Buffer.from([0x80, 0x80, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from('q\x00q', 'latin1'),
  Buffer.from('a\xffb.c\xfe', 'latin1'),
  Buffer.from('\u202eevil.q', 'utf8'),
  Buffer.from('__proto__', 'utf8'),
  Buffer.from('constructor', 'utf8'),
  Buffer.from('../../etc', 'utf8'),
  Buffer.from("q'); DROP TABLE queues;--", 'utf8'),
  Buffer.alloc(255, 0xff),
  Buffer.alloc(255, 0x2e), // 255 dots: a topic key with 256 empty words
];

// ---- content-header property lists ------------------------------------------------------------------------------

/** Property value bytes, by position in the basic class's property list (0 content-type ... 13 cluster-id). */
export type RawPropertyValues = Array<Buffer | undefined>;

export interface PropertyListOverrides {
  /** Extra flag bits ORed into the first flags word (bit 1 is no property; bit 0 is "another flags word follows"). */
  extraFlags?: number;
  /** Further flags words after the first (sent when extraFlags has bit 0). */
  moreFlagWords?: number[];
  /** Positions whose flag is set but whose value is left out. */
  missing?: number[];
  /** Bytes after the last property. */
  trailing?: Buffer;
}

/** A property list (flags words, then the values in order) from raw value bytes. */
export function rawPropertyList(values: RawPropertyValues, o: PropertyListOverrides = {}): Buffer {
  let flags = o.extraFlags ?? 0;
  const parts: Buffer[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return;
    flags |= 1 << (15 - i);
    if (!(o.missing ?? []).includes(i)) parts.push(v);
  });
  for (const i of o.missing ?? []) flags |= 1 << (15 - i);
  const words = [u16(flags), ...(o.moreFlagWords ?? []).map(u16)];
  return Buffer.concat([...words, ...parts, o.trailing ?? Buffer.alloc(0)]);
}

/** A content header payload: class id, weight, 64-bit body size (raw), property list. */
export function headerPayload(classId: number, bodySize: bigint, properties: Buffer, weight = 0): Buffer {
  return Buffer.concat([u16(classId), u16(weight), u64(bodySize), properties]);
}

export function methodPayload(classId: number, methodId: number, args: Buffer): Buffer {
  return Buffer.concat([u16(classId), u16(methodId), args]);
}

/** Short human-readable form of some bytes for logs and crash files. */
export function hex(b: Buffer, max = 4096): string {
  return b.length <= max ? b.toString('hex') : `${b.subarray(0, max).toString('hex')}...(+${b.length - max} bytes)`;
}
