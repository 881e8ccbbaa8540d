/**
 * A consumer: reads deliveries straight from the FrameReader's buffer (frame type, method id, delivery tag from the
 * method frame, body size from the content header, the send time from the first body frame's first 8 bytes) and
 * counts whole messages: nothing is allocated per message. Manual acks are collected per received chunk and written
 * in one buffer: basic.ack multiple=true every N deliveries (-A N), or one ack per delivery.
 */
import { FRAME_BODY, FRAME_HEADER, FRAME_METHOD, type FrameReader, MethodId, encodeMethodFrame } from '../protocol';
import type { PerfOptions } from './args';
import type { PerfClient } from './client';
import { wallClockMs } from './clock';
import type { Histogram } from './histogram';

const CHANNEL = 1;
/** basic.ack frame: 7-byte header, class+method, 8-byte tag, bits, frame-end. */
const ACK_BYTES = 21;
const TAG_OFFSET = 11;
const BITS_OFFSET = 19;
/** Send times further than this from now are not ours (or clocks differ): not recorded. */
const MAX_LATENCY_MS = 3_600_000;

export class Consumer {
  received = 0;
  done = false;
  onDone: (() => void) | null = null;

  private readonly ackEvery: number;
  private readonly ackTemplate = encodeMethodFrame(CHANNEL, MethodId.BasicAck, { deliveryTag: 0, multiple: false });
  /** Delivery tags waiting to be acked in this chunk's reply (grows, never shrinks). */
  private ackTags = new Float64Array(64);
  private ackCount = 0;
  private unacked = 0;
  private lastTag = 0;
  private bodyLeft = 0;
  private firstBody = false;
  private now = 0;

  constructor(
    private readonly client: PerfClient,
    private readonly o: PerfOptions,
    private readonly latency: Histogram,
    readonly tag: string,
  ) {
    let every = o.multiAckEvery;
    if (!o.autoAck && o.prefetch > 0 && every > o.prefetch) every = o.prefetch; // else the broker stops delivering
    this.ackEvery = every;
    client.onFrame = (r) => this.frame(r);
    client.onChunkEnd = () => this.flushAcks();
  }

  async setUp(declare: (c: PerfClient) => Promise<void>): Promise<void> {
    const c = this.client;
    await c.call(CHANNEL, MethodId.ChannelOpen, {}, MethodId.ChannelOpenOk);
    await declare(c);
    if (!this.o.autoAck && this.o.prefetch > 0) {
      await c.call(CHANNEL, MethodId.BasicQos, { prefetchSize: 0, prefetchCount: this.o.prefetch, global: false }, MethodId.BasicQosOk);
    }
    await c.call(
      CHANNEL,
      MethodId.BasicConsume,
      { queue: this.o.queue, consumerTag: this.tag, noLocal: false, noAck: this.o.autoAck, exclusive: false, arguments: {} },
      MethodId.BasicConsumeOk,
    );
  }

  /** Exposed for tests: handles one frame. */
  frame(r: FrameReader): void {
    const buf = r.buffer;
    const p = r.start;
    switch (r.frameType) {
      case FRAME_METHOD: {
        if (buf.readUInt32BE(p) !== MethodId.BasicDeliver) return;
        const tagEnd = p + 5 + buf[p + 4]!; // consumer-tag shortstr
        this.lastTag = buf.readUInt32BE(tagEnd) * 4294967296 + buf.readUInt32BE(tagEnd + 4);
        this.firstBody = true;
        return;
      }
      case FRAME_HEADER:
        // class-id, weight, then the 64-bit body size.
        this.bodyLeft = buf.readUInt32BE(p + 4) * 4294967296 + buf.readUInt32BE(p + 8);
        if (this.bodyLeft === 0) this.complete();
        return;
      case FRAME_BODY: {
        const size = r.end - p;
        if (this.firstBody) {
          this.firstBody = false;
          if (size >= 8) {
            if (this.now === 0) this.now = wallClockMs();
            const ms = this.now - buf.readDoubleLE(p);
            if (ms >= 0 && ms < MAX_LATENCY_MS) this.latency.record(ms * 1000);
          }
        }
        this.bodyLeft -= size;
        if (this.bodyLeft <= 0) this.complete();
        return;
      }
      default:
        return;
    }
  }

  private complete(): void {
    if (this.done) return;
    this.received++;
    if (!this.o.autoAck) {
      this.unacked++;
      if (this.unacked >= this.ackEvery) this.queueAck(this.lastTag);
    }
    if (this.o.consumerCount > 0 && this.received >= this.o.consumerCount) {
      if (this.unacked > 0) this.queueAck(this.lastTag);
      this.done = true;
      if (this.onDone !== null) this.onDone();
    }
  }

  private queueAck(tag: number): void {
    if (this.ackCount === this.ackTags.length) {
      const bigger = new Float64Array(this.ackTags.length * 2);
      bigger.set(this.ackTags);
      this.ackTags = bigger;
    }
    this.ackTags[this.ackCount++] = tag;
    this.unacked = 0;
  }

  /** After each chunk: one write with every ack it produced; the next chunk reads the clock afresh. */
  flushAcks(): void {
    this.now = 0;
    const n = this.ackCount;
    if (n === 0) return;
    this.ackCount = 0;
    const multiple = this.ackEvery > 1 ? 1 : 0;
    const out = Buffer.allocUnsafe(n * ACK_BYTES);
    for (let i = 0; i < n; i++) {
      const off = i * ACK_BYTES;
      this.ackTemplate.copy(out, off);
      const tag = this.ackTags[i]!;
      out.writeUInt32BE(Math.floor(tag / 4294967296), off + TAG_OFFSET);
      out.writeUInt32BE(tag >>> 0, off + TAG_OFFSET + 4);
      out[off + BITS_OFFSET] = multiple;
    }
    if (!this.client.socket.destroyed) this.client.socket.write(out);
  }
}
