/**
 * Strings that must come back as the bytes they were read from, even when those bytes are not UTF-8: basic.publish's
 * exchange and routing key (RabbitMQ does not check them, and echoes them byte for byte in basic.deliver) and the
 * keys and longstr values of field tables (binary in RabbitMQ).
 *
 * Valid UTF-8 decodes as usual. A byte that is not part of a valid UTF-8 sequence becomes the lone surrogate
 * U+DC80 + (byte - 0x80), which no valid UTF-8 decodes to, and encoding turns each such surrogate back into its byte:
 * decode then encode gives the original bytes, whatever they were. Other lone surrogates (which only a JSON "\ud800"
 * escape can produce) are written as U+FFFD, as Buffer.write does.
 *
 * Both directions take a native fast path and only walk characters when the input needs it: bytes that decode to a
 * U+FFFD, strings that are not well formed.
 */

declare global {
  interface String {
    /** ES2024; in V8 since 11.1 (Node.js 20). */
    isWellFormed(): boolean;
  }
}

const REPLACEMENT = '\uFFFD';

/** buf[start, end) as a string, keeping bytes that are not UTF-8 as escapes (see the module comment). */
export function decodeBytes(buf: Buffer, start: number, end: number): string {
  const fast = buf.toString('utf8', start, end);
  if (fast.indexOf(REPLACEMENT) === -1) return fast;
  return decodeSlowly(buf, start, end);
}

/** Whether buf[start, end) decodes without escapes. */
export function isValidUtf8(buf: Buffer, start: number, end: number): boolean {
  const fast = buf.toString('utf8', start, end);
  return fast.indexOf(REPLACEMENT) === -1 || decodeSlowly(buf, start, end).isWellFormed();
}

function decodeSlowly(buf: Buffer, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const b0 = buf[i] as number;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i += 1;
      continue;
    }
    const n = sequenceLength(buf, i, end);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + b0);
      i += 1;
      continue;
    }
    out += buf.toString('utf8', i, i + n);
    i += n;
  }
  return out;
}

/**
 * The length of the valid UTF-8 sequence starting with a non-ASCII byte at i, or 0 when there is none: no overlong
 * forms, no encoded surrogates, nothing above U+10FFFF (the rules of WHATWG's decoder).
 */
function sequenceLength(buf: Buffer, i: number, end: number): number {
  const b0 = buf[i] as number;
  let n: number;
  let lower = 0x80;
  let upper = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 === 0xe0) lower = 0xa0;
    else if (b0 === 0xed) upper = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 === 0xf0) lower = 0x90;
    else if (b0 === 0xf4) upper = 0x8f;
  } else return 0;
  if (i + n > end) return 0;
  const b1 = buf[i + 1] as number;
  if (b1 < lower || b1 > upper) return 0;
  for (let k = 2; k < n; k++) {
    const b = buf[i + k] as number;
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return n;
}

/** How many bytes encodeString writes for s. */
export function encodedLength(s: string): number {
  if (s.isWellFormed()) return Buffer.byteLength(s, 'utf8');
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) n += 1;
    else n += 3;
  }
  return n;
}

/** Writes s at offset (buf must have encodedLength(s) bytes there); returns the number of bytes written. */
export function writeString(buf: Buffer, offset: number, s: string): number {
  if (s.isWellFormed()) return s.length === 0 ? 0 : buf.write(s, offset, 'utf8');
  let o = offset;
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && isHigh(s.charCodeAt(i - 1)))) {
      if (i > run) o += buf.write(s.slice(run, i), o, 'utf8');
      buf[o++] = c - 0xdc00;
      run = i + 1;
    }
  }
  if (run < s.length) o += buf.write(s.slice(run), o, 'utf8');
  return o - offset;
}

/** s as bytes (see writeString). */
export function encodeString(s: string): Buffer {
  const out = Buffer.allocUnsafe(encodedLength(s));
  writeString(out, 0, s);
  return out;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
