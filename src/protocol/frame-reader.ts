/**
 * Incremental frame reader over a list of received chunks.
 *
 * Chunks are kept as pushed; a frame lying within one chunk is handed out as a view (no copy), a frame spanning
 * chunks is copied once. The 7-byte frame header is validated (type, size against maxFrameSize) as soon as it is
 * available, before the payload is buffered. "Need more bytes" is a `false` return, never an exception.
 */
import { FrameError } from './errors';
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD, ReplyCode } from './generated/amqp';

const EMPTY = Buffer.alloc(0);
const FRAME_HEADER_SIZE = 7;
const FRAME_OVERHEAD = 8;

export class FrameReader {
  /** Largest acceptable frame INCLUDING its 7-byte header and frame-end octet (frame_max); 0 means no limit. */
  maxFrameSize: number;
  /** Type of the current frame (FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT). */
  frameType = 0;
  /** Channel of the current frame. */
  channel = 0;
  /**
   * Payload of the current frame as buffer[start, end): valid until the next push() or next(). Hot paths read these
   * directly; `payload` makes a view when one is needed.
   */
  buffer: Buffer = EMPTY;
  start = 0;
  end = 0;

  private chunks: Buffer[] = [];
  /** Index of the first chunk with unread bytes. */
  private head = 0;
  /** Read position within chunks[head]. */
  private headOffset = 0;
  private buffered = 0;

  constructor(maxFrameSize: number) {
    this.maxFrameSize = maxFrameSize;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** Payload of the current frame as a view of `buffer` (valid until the next push() or next()). */
  get payload(): Buffer {
    return this.start === 0 && this.end === this.buffer.length ? this.buffer : this.buffer.subarray(this.start, this.end);
  }

  /** Bytes received but not yet consumed (includes a partially received frame). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** For the connection's first 8 bytes: returns (and consumes) the 8-byte header once available, else null. */
  readProtocolHeader(): Buffer | null {
    if (this.buffered < 8) return null;
    return this.take(8);
  }

  /**
   * Advances to the next complete frame; false when more bytes are needed. Throws FrameError (501 FRAME_ERROR) for
   * an unknown frame type, a frame larger than maxFrameSize (as soon as the header is in) or a bad frame-end octet.
   * After an exception the reader's state is unspecified: the connection must be closed.
   */
  next(): boolean {
    if (this.buffered < FRAME_HEADER_SIZE) return false;
    const first = this.chunks[this.head]!;
    const off = this.headOffset;
    let type: number;
    let channel: number;
    let size: number;
    if (first.length - off >= FRAME_HEADER_SIZE) {
      type = first[off]!;
      channel = first.readUInt16BE(off + 1);
      size = first.readUInt32BE(off + 3);
    } else {
      type = this.peek(0);
      channel = (this.peek(1) << 8) | this.peek(2);
      size = this.peek(3) * 0x1000000 + ((this.peek(4) << 16) | (this.peek(5) << 8) | this.peek(6));
    }
    if (type !== FRAME_METHOD && type !== FRAME_HEADER && type !== FRAME_BODY && type !== FRAME_HEARTBEAT) {
      throw new FrameError(`unknown frame type ${type}`, ReplyCode.FrameError);
    }
    const max = this.maxFrameSize;
    if (max > 0 && size > max - FRAME_OVERHEAD) {
      throw new FrameError(
        `frame size ${size + FRAME_OVERHEAD} exceeds the negotiated frame_max ${max}`,
        ReplyCode.FrameError,
      );
    }
    const total = size + FRAME_OVERHEAD;
    if (this.buffered < total) return false;

    let buffer: Buffer;
    let start: number;
    let endOctet: number;
    if (first.length - off >= total) {
      buffer = first;
      start = off + FRAME_HEADER_SIZE;
      endOctet = first[start + size]!;
      this.skip(total);
    } else {
      this.skip(FRAME_HEADER_SIZE);
      buffer = this.take(size);
      start = 0;
      endOctet = this.peek(0);
      this.skip(1);
    }
    if (endOctet !== FRAME_END) {
      throw new FrameError(
        `frame-end octet is 0x${endOctet.toString(16)}, expected 0x${FRAME_END.toString(16)}`,
        ReplyCode.FrameError,
      );
    }
    this.frameType = type;
    this.channel = channel;
    this.buffer = buffer;
    this.start = start;
    this.end = start + size;
    return true;
  }

  /** The i-th unread byte (i < buffered). */
  private peek(i: number): number {
    let idx = this.head;
    let pos = this.headOffset + i;
    for (;;) {
      const c = this.chunks[idx]!;
      if (pos < c.length) return c[pos]!;
      pos -= c.length;
      idx++;
    }
  }

  /** Consumes n bytes (n <= buffered). */
  private skip(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[this.head]!;
      const avail = c.length - this.headOffset;
      if (n < avail) {
        this.headOffset += n;
        return;
      }
      n -= avail;
      this.dropHead();
    }
  }

  /** Consumes n bytes (n <= buffered) and returns them: a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const c = this.chunks[this.head]!;
    const off = this.headOffset;
    if (c.length - off >= n) {
      const view = c.subarray(off, off + n);
      this.skip(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    this.buffered -= n;
    while (written < n) {
      const cur = this.chunks[this.head]!;
      const start = this.headOffset;
      const count = Math.min(cur.length - start, n - written);
      cur.copy(out, written, start, start + count);
      written += count;
      if (start + count === cur.length) this.dropHead();
      else this.headOffset = start + count;
    }
    return out;
  }

  private dropHead(): void {
    this.head++;
    this.headOffset = 0;
    const chunks = this.chunks;
    if (this.head === chunks.length) {
      chunks.length = 0;
      this.head = 0;
    } else if (this.head >= 32 && this.head * 2 >= chunks.length) {
      chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}
