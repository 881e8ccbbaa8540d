import type { Duplex } from 'node:stream';
import type { ChannelWriter } from '../channel/ports';
import { FRAME_OVERHEAD } from '../protocol/frames';
import { encodedLength, writeString } from '../protocol/utf8';
import {
  ClassId,
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_METHOD,
  MethodId,
  encodeMethodFrame,
} from '../protocol/generated/amqp';

/**
 * Bytes queued for the socket beyond which deliveries pause and the connection stops reading (so its requests stop
 * producing replies) until 'drain': what one client that does not read can make the broker hold. The default of
 * the outputBufferMax setting.
 */
export const WRITE_BUFFER_LIMIT = 1024 * 1024;
/** Frames are encoded into slabs of this size; one socket.write per slab region per turn. */
const SLAB_SIZE = 64 * 1024;
/** Bodies up to this size are copied into the slab; larger ones are written as views of the message's buffer. */
const COPY_LIMIT = 8 * 1024;
/** The fixed part of a basic.deliver method frame: frame header, class/method, three shortstr lengths, tag, bit, end. */
const DELIVER_FIXED = 7 + 4 + 3 + 8 + 1 + 1;

/**
 * The write path of one connection. Frames are encoded straight into a slab, and what a turn wrote goes to the
 * socket as one buffer when the turn ends (or the slab fills), so a delivery costs no Buffer of its own and no
 * socket.write per frame. Large bodies are written as views between slab regions, in order, under one cork.
 * Deliveries stop while the socket's buffer is over its limit.
 */
export class FrameWriter implements ChannelWriter {
  frameMax: number;
  /** True while the socket buffer is over `limit`; cleared on 'drain'. */
  blocked = false;
  /** Called when `blocked` turns true. */
  onBlocked: (() => void) | undefined;
  /** Set on every write; the heartbeat timer clears it. */
  wroteSinceTick = false;
  private slab = Buffer.allocUnsafe(SLAB_SIZE);
  /** Start of the slab region not yet handed to the socket. */
  private start = 0;
  private pos = 0;
  private scheduled = false;
  private closed = false;
  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    private readonly socket: Duplex,
    frameMax: number,
    /** Queued bytes beyond which the writer is blocked (WRITE_BUFFER_LIMIT unless configured). */
    readonly limit = WRITE_BUFFER_LIMIT,
  ) {
    this.frameMax = frameMax;
  }

  /** An already encoded frame (or frames). */
  write(frame: Buffer): void {
    if (this.closed) return;
    if (frame.length > COPY_LIMIT) {
      this.passThrough(frame);
      return;
    }
    this.reserve(frame.length);
    frame.copy(this.slab, this.pos);
    this.pos += frame.length;
  }

  method(channel: number, id: number, args: object): void {
    this.write(encodeMethodFrame(channel, id, args));
  }

  /** Content header plus body frames, with the properties bytes re-sent as received. */
  content(channel: number, properties: Buffer, body: Buffer): void {
    if (this.closed) return;
    this.headerFrame(channel, properties, body.length);
    this.bodyFrames(channel, body);
  }

  /**
   * basic.deliver with its content, encoded in place: the hot path of every consumer (ChannelWriter.deliver).
   * Strings are short strings that arrived as such (or were generated within their limit).
   */
  deliver(
    channel: number,
    consumerTag: string,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
    properties: Buffer,
    body: Buffer,
  ): void {
    if (this.closed) return;
    this.reserve(DELIVER_FIXED + 3 * 255);
    const slab = this.slab;
    const begin = this.pos;
    slab[begin] = FRAME_METHOD;
    slab.writeUInt16BE(channel, begin + 1);
    slab.writeUInt32BE(MethodId.BasicDeliver, begin + 7);
    let p = begin + 11;
    p = shortString(slab, p, consumerTag);
    slab.writeUInt32BE(Math.floor(deliveryTag / 0x100000000), p);
    slab.writeUInt32BE(deliveryTag >>> 0, p + 4);
    slab[p + 8] = redelivered ? 1 : 0;
    p = shortString(slab, p + 9, exchange);
    p = shortString(slab, p, routingKey);
    slab.writeUInt32BE(p - begin - 7, begin + 3);
    slab[p] = FRAME_END;
    this.pos = p + 1;
    this.headerFrame(channel, properties, body.length);
    this.bodyFrames(channel, body);
  }

  /** Bytes written and not yet taken by the socket's peer: those in the socket's buffer and those in the slab. */
  get queuedBytes(): number {
    return this.socket.writableLength + this.pos - this.start;
  }

  /** Hands what the slab holds to the socket (one write) and updates `blocked`. */
  flush(): void {
    if (this.pos > this.start) {
      const socket = this.socket;
      socket.write(this.slab.subarray(this.start, this.pos));
      this.start = this.pos;
      if (socket.writableLength > this.limit) this.block();
    }
    if (SLAB_SIZE - this.pos < SLAB_SIZE / 8) {
      this.slab = Buffer.allocUnsafe(SLAB_SIZE);
      this.start = 0;
      this.pos = 0;
    }
  }

  /** No more writes after this (the socket is ending or gone); what was written so far still goes out. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  private headerFrame(channel: number, properties: Buffer, bodySize: number): void {
    const payload = 12 + properties.length;
    if (payload + FRAME_OVERHEAD > COPY_LIMIT) {
      // Unusually large properties: encode on their own.
      const frame = Buffer.allocUnsafe(payload + FRAME_OVERHEAD);
      writeHeaderFrame(frame, 0, channel, properties, bodySize);
      this.passThrough(frame);
      return;
    }
    this.reserve(payload + FRAME_OVERHEAD);
    this.pos = writeHeaderFrame(this.slab, this.pos, channel, properties, bodySize);
  }

  private bodyFrames(channel: number, body: Buffer): void {
    const total = body.length;
    if (total === 0) return;
    const chunk = this.frameMax > 0 ? this.frameMax - FRAME_OVERHEAD : total;
    for (let from = 0; from < total; from += chunk) {
      const to = Math.min(from + chunk, total);
      const size = to - from;
      this.reserve(size <= COPY_LIMIT ? size + FRAME_OVERHEAD : 7);
      const slab = this.slab;
      let p = this.pos;
      slab[p] = FRAME_BODY;
      slab.writeUInt16BE(channel, p + 1);
      slab.writeUInt32BE(size, p + 3);
      p += 7;
      if (size <= COPY_LIMIT) {
        body.copy(slab, p, from, to);
        slab[p + size] = FRAME_END;
        this.pos = p + size + 1;
        continue;
      }
      this.pos = p;
      this.passThrough(body.subarray(from, to));
      this.reserve(1);
      this.slab[this.pos++] = FRAME_END;
    }
  }

  /** Writes `buffer` itself after the slab's pending bytes, keeping order. */
  private passThrough(buffer: Buffer): void {
    this.touch();
    this.flush();
    this.socket.write(buffer);
    if (this.socket.writableLength > this.limit) this.block();
  }

  private block(): void {
    if (this.blocked) return;
    this.blocked = true;
    this.onBlocked?.();
  }

  /** Makes room for `bytes` in the slab (flushing and starting a new one when needed). */
  private reserve(bytes: number): void {
    this.touch();
    if (this.pos + bytes <= SLAB_SIZE) return;
    this.flush();
    if (this.pos + bytes > SLAB_SIZE) {
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, bytes));
      this.start = 0;
      this.pos = 0;
    }
  }

  /** A write happens this turn: the slab is flushed when the turn's synchronous work is done. */
  private touch(): void {
    this.wroteSinceTick = true;
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.flushLater);
  }
}

/** Writes a short string (length octet, UTF-8 bytes) at `offset`; returns the offset after it. */
function shortString(buf: Buffer, offset: number, value: string): number {
  const n = value.length;
  if (n <= 48) {
    // Names are short and ASCII: storing the char codes beats a native UTF-8 write call.
    let i = 0;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) break;
      buf[offset + 1 + i] = c;
    }
    if (i === n) {
      buf[offset] = n;
      return offset + 1 + n;
    }
  }
  // Names that arrived as short strings fit 255 bytes when written back (utf8.ts keeps even non-UTF-8 bytes).
  const length = encodedLength(value);
  if (length > 255) throw new RangeError(`short string longer than 255 bytes: ${JSON.stringify(value.slice(0, 40))}...`);
  writeString(buf, offset + 1, value);
  buf[offset] = length;
  return offset + 1 + length;
}

function writeHeaderFrame(buf: Buffer, offset: number, channel: number, properties: Buffer, bodySize: number): number {
  const payload = 12 + properties.length;
  buf[offset] = FRAME_HEADER;
  buf.writeUInt16BE(channel, offset + 1);
  buf.writeUInt32BE(payload, offset + 3);
  buf.writeUInt16BE(ClassId.Basic, offset + 7);
  buf.writeUInt16BE(0, offset + 9);
  buf.writeUInt32BE(Math.floor(bodySize / 0x100000000), offset + 11);
  buf.writeUInt32BE(bodySize >>> 0, offset + 15);
  properties.copy(buf, offset + 19);
  buf[offset + 7 + payload] = FRAME_END;
  return offset + payload + FRAME_OVERHEAD;
}
