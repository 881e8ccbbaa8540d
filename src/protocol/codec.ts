/**
 * Primitive readers and writers used by the generated method codec (generated/amqp.ts) and by hand-written frame
 * code. Readers take (buf, offset, end) and throw FrameSyntaxError rather than reading past end; fixed-size fields are
 * bounds-checked by the caller with need(). Writers assume the caller sized the buffer first.
 */
import { isUtf8 } from 'node:buffer';
import { FrameSyntaxError, MalformedShortstrError } from './errors';
import { decodeBytes, encodedLength, writeString } from './utf8';

export { readTableAt, encodedTableSize, writeTable } from './field-table';

const TWO_32 = 4294967296;

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** Throws unless n bytes are available at offset. `what` names the method or structure for the error message. */
export function need(offset: number, n: number, end: number, what: string): void {
  if (offset + n > end) throw new FrameSyntaxError(`${what}: truncated arguments`);
}

/**
 * A method's shortstr: length octet then that many bytes of UTF-8. Bytes that are not UTF-8 throw
 * MalformedShortstrError, as RabbitMQ's parser refuses them: a name is then the same string in every layer (the
 * store, the management API, the wire when echoed), never a lossy copy that no longer fits 255 bytes.
 */
export function readShortstr(buf: Buffer, offset: number, end: number, what: string): string {
  if (offset >= end) throw new FrameSyntaxError(`${what}: truncated arguments`);
  const len = buf[offset]!;
  if (offset + 1 + len > end) throw new FrameSyntaxError(`${what}: short string runs past the end of the frame`);
  if (len === 0) return '';
  // One native decode gives a flat string. Building short names a character at a time looked cheaper, but made
  // cons strings that every later hash (permission cache, route memo) or split had to flatten first: 260 vs 80 ns
  // for decode plus one Set lookup of a 26-byte name.
  const s = buf.toString('utf8', offset + 1, offset + 1 + len);
  // The decoder puts U+FFFD where bytes are not UTF-8; only then (or for a real U+FFFD) are the bytes checked.
  if (s.indexOf('\uFFFD') !== -1 && !isUtf8(buf.subarray(offset + 1, offset + 1 + len))) throw new MalformedShortstrError();
  return s;
}

/**
 * basic.publish's exchange and routing key, which RabbitMQ takes as any bytes and echoes unchanged: bytes that are
 * not UTF-8 are kept as escapes (utf8.ts), so that writing the string back gives what the client sent.
 */
export function readAnyShortstr(buf: Buffer, offset: number, end: number, what: string): string {
  if (offset >= end) throw new FrameSyntaxError(`${what}: truncated arguments`);
  const len = buf[offset]!;
  if (offset + 1 + len > end) throw new FrameSyntaxError(`${what}: short string runs past the end of the frame`);
  if (len === 0) return '';
  return len <= RECENT_MAX ? recentString(buf, offset + 1, len) : decodeBytes(buf, offset + 1, offset + 1 + len);
}

/**
 * The last few short strings read by readAnyShortstr, by their bytes. A stream of publishes names the same routing
 * key and exchange again and again: handing back the same string saves the decode, its garbage, and the hash the
 * exchange and queue lookups would otherwise compute for every fresh copy (V8 keeps a string's hash in the string).
 * Direct-mapped on length and first and last byte; bounded (RECENT_SLOTS entries of at most RECENT_MAX bytes).
 */
const RECENT_SLOTS = 8;
const RECENT_MAX = 64;
const recentBytes: Buffer[] = Array.from({ length: RECENT_SLOTS }, () => Buffer.alloc(RECENT_MAX));
const recentLength = new Int32Array(RECENT_SLOTS);
const recentText: string[] = new Array<string>(RECENT_SLOTS).fill('');

function recentString(buf: Buffer, start: number, len: number): string {
  const slot = (len + buf[start]! * 3 + buf[start + len - 1]! * 7) & (RECENT_SLOTS - 1);
  const kept = recentBytes[slot]!;
  if (recentLength[slot] === len) {
    let i = 0;
    while (i < len && kept[i] === buf[start + i]) i++;
    if (i === len) return recentText[slot]!;
  }
  const text = decodeBytes(buf, start, start + len);
  buf.copy(kept, 0, start, start + len);
  recentLength[slot] = len;
  recentText[slot] = text;
  return text;
}

/**
 * A property's shortstr (content-type, message-id, ...), decoded for reading only: invalid UTF-8 becomes U+FFFD,
 * as RabbitMQ passes such properties through untouched. Messages keep their property bytes, so nothing decoded
 * here is ever written back.
 */
export function readPropertyShortstr(buf: Buffer, offset: number, end: number, what: string): string {
  if (offset >= end) throw new FrameSyntaxError(`${what}: truncated arguments`);
  const len = buf[offset]!;
  if (offset + 1 + len > end) throw new FrameSyntaxError(`${what}: short string runs past the end of the frame`);
  return len === 0 ? '' : buf.toString('utf8', offset + 1, offset + 1 + len);
}

/** longstr: 4-byte length then bytes; returned as a copy (method longstrs are rare and must not pin frame memory). */
export function readLongstr(buf: Buffer, offset: number, end: number, what: string): Buffer {
  if (offset + 4 > end) throw new FrameSyntaxError(`${what}: truncated arguments`);
  const len = buf.readUInt32BE(offset);
  if (len > end - offset - 4) throw new FrameSyntaxError(`${what}: long string runs past the end of the frame`);
  return len === 0 ? EMPTY_BUFFER : Buffer.from(buf.subarray(offset + 4, offset + 4 + len));
}

/** Offset just past the longstr or table whose 4-byte length prefix starts at offset (already validated). */
export function skipLong(buf: Buffer, offset: number): number {
  return offset + 4 + buf.readUInt32BE(offset);
}

/** Unsigned 64-bit integer as a number (exact up to 2^53; delivery tags and timestamps stay far below that). */
export function readLonglong(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * TWO_32 + buf.readUInt32BE(offset + 4);
}

/** Writes a non-negative integer number (below 2^64) as an unsigned 64-bit integer. */
export function writeLonglong(buf: Buffer, offset: number, n: number): void {
  if (!(n >= 0) || !Number.isInteger(n) || n >= 2 ** 64) {
    throw new RangeError(`longlong must be a non-negative integer below 2^64, got ${n}`);
  }
  buf.writeUInt32BE(Math.floor(n / TWO_32), offset);
  buf.writeUInt32BE(n % TWO_32, offset + 4);
}

/** Byte length of a shortstr's text; throws RangeError above 255 bytes. */
export function shortstrLength(s: string, what: string): number {
  const n = isShortAscii(s) ? s.length : encodedLength(s);
  if (n > 255) throw new RangeError(`${what}: short string longer than 255 bytes`);
  return n;
}

/**
 * Truncates text to at most 255 UTF-8 bytes without splitting a character. Used for reply-text, which the broker
 * builds from client-supplied names and may therefore overflow a shortstr.
 */
export function truncateShortstr(s: string): string {
  if (s.length <= 85 || Buffer.byteLength(s, 'utf8') <= 255) return s;
  const bytes = Buffer.from(s, 'utf8');
  let cut = 255;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--; // back up to a character boundary
  return bytes.toString('utf8', 0, cut);
}

/** True for strings of at most 32 ASCII characters (written byte by byte, cheaper than a UTF-8 encode call). */
function isShortAscii(s: string): boolean {
  const n = s.length;
  if (n > 32) return false;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Writes a shortstr whose byte length (from shortstrLength) is len. Returns the new offset. */
export function writeShortstr(buf: Buffer, offset: number, s: string, len: number): number {
  buf[offset] = len;
  if (len <= 32 && len === s.length) {
    // UTF-8 length equals UTF-16 length only when every character is ASCII: copy the char codes directly.
    for (let i = 0; i < len; i++) buf[offset + 1 + i] = s.charCodeAt(i);
  } else if (len !== 0) {
    writeString(buf, offset + 1, s);
  }
  return offset + 1 + len;
}

/** Writes a longstr (4-byte length then bytes). Returns the new offset. */
export function writeLongstr(buf: Buffer, offset: number, b: Buffer): number {
  buf.writeUInt32BE(b.length, offset);
  b.copy(buf, offset + 4);
  return offset + 4 + b.length;
}

/** Accepts a longstr argument given as a Buffer or, for convenience, a string (encoded as UTF-8). */
export function toLongstr(v: Buffer | string | undefined | null): Buffer {
  if (v === undefined || v === null) return EMPTY_BUFFER;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}
