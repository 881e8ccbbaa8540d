/**
 * A producer: the basic.publish method + content header + body frames are encoded ONCE (for a batch of BATCH
 * messages); each write copies the first n of them into a fresh buffer, patches the send time into each body's
 * first 8 bytes (when the body has room) and hands the whole batch to the socket in one write. It writes while the
 * socket accepts, then waits for 'drain'; at most TURN_BATCHES batches per event-loop turn so timers and confirms
 * are served. Confirms (basic.ack / basic.nack, multiple or not) settle a ring of window flags: no allocation.
 */
import {
  FRAME_METHOD,
  type FrameReader,
  MethodId,
  bodyFrameParts,
  encodeBasicProperties,
  encodeHeaderFrame,
  encodeMethodFrame,
} from '../protocol';
import type { PerfOptions } from './args';
import type { PerfClient } from './client';
import { wallClockMs } from './clock';

/** Bytes of messages per write (rounded to whole messages, at least one). */
const BATCH_BYTES = 64 * 1024;
/** Batches written per event-loop turn at most. */
const TURN_BATCHES = 8;
const CHANNEL = 1;

export interface PublishShape {
  /** BATCH copies of one message's frames. */
  batch: Buffer;
  /** Bytes of one message's frames. */
  messageBytes: number;
  messages: number;
  /** Offset of the body's first byte within one message's frames; -1 when the body is under 8 bytes. */
  timestampOffset: number;
}

export function publishShape(o: PerfOptions, frameMax: number): PublishShape {
  const method = encodeMethodFrame(CHANNEL, MethodId.BasicPublish, {
    exchange: o.exchange,
    routingKey: o.routingKey,
    mandatory: o.mandatory,
    immediate: false,
  });
  const props = encodeBasicProperties(o.persistent ? { deliveryMode: 2 } : {});
  const header = encodeHeaderFrame(CHANNEL, 60, o.size, props);
  const body = Buffer.alloc(o.size, 0x2e);
  const bodies = o.size > 0 ? bodyFrameParts(CHANNEL, body, frameMax) : [];
  const one = Buffer.concat([method, header, ...bodies]);
  const messages = Math.max(1, Math.floor(BATCH_BYTES / one.length));
  return {
    batch: Buffer.concat(new Array<Buffer>(messages).fill(one)),
    messageBytes: one.length,
    messages,
    // The body frame's 7-byte header comes right after the method and content header frames.
    timestampOffset: o.size >= 8 ? method.length + header.length + 7 : -1,
  };
}

export class Producer {
  sent = 0;
  confirmed = 0;
  nacked = 0;
  returned = 0;
  /** True once the message count is published (and, with confirms, settled). */
  done = false;
  onDone: (() => void) | null = null;

  private readonly shape: PublishShape;
  private readonly window: number;
  private readonly ring: Uint8Array;
  /** Lowest publish sequence number not yet settled. */
  private low = 1;
  private stopped = false;
  private waiting = false;
  private startMs = 0;
  private readonly pumpFn = (): void => this.pump();

  constructor(
    private readonly client: PerfClient,
    private readonly o: PerfOptions,
  ) {
    this.shape = publishShape(o, client.frameMax);
    this.window = o.confirm;
    this.ring = new Uint8Array(Math.max(1, o.confirm));
    client.onFrame = (r) => this.frame(r);
  }

  async setUp(): Promise<void> {
    const c = this.client;
    await c.call(CHANNEL, MethodId.ChannelOpen, {}, MethodId.ChannelOpenOk);
    await declareTopology(c, this.o);
    if (this.o.confirm > 0) await c.call(CHANNEL, MethodId.ConfirmSelect, { noWait: false }, MethodId.ConfirmSelectOk);
  }

  start(): void {
    this.startMs = performance.now();
    this.pump();
  }

  stop(): void {
    this.stopped = true;
  }

  private get settled(): number {
    return this.confirmed + this.nacked;
  }

  private pump(): void {
    this.waiting = false;
    const o = this.o;
    const shape = this.shape;
    const socket = this.client.socket;
    for (let turn = 0; turn < TURN_BATCHES; turn++) {
      if (this.stopped || socket.destroyed) return;
      let n = shape.messages;
      if (o.producerCount > 0) n = Math.min(n, o.producerCount - this.sent);
      if (n <= 0) {
        this.finishIfSettled();
        return;
      }
      if (this.window > 0) {
        n = Math.min(n, this.window - (this.sent - this.settled));
        if (n <= 0) {
          this.waiting = true; // a confirm calls pump()
          return;
        }
      }
      if (o.rate > 0) {
        const due = Math.floor(((performance.now() - this.startMs) * o.rate) / 1000) - this.sent;
        if (due <= 0) {
          setTimeout(this.pumpFn, Math.max(1, Math.ceil(1000 / o.rate)));
          return;
        }
        n = Math.min(n, due);
      }
      const len = n * shape.messageBytes;
      const buf = Buffer.allocUnsafe(len);
      shape.batch.copy(buf, 0, 0, len);
      if (shape.timestampOffset >= 0) {
        const now = wallClockMs();
        for (let off = shape.timestampOffset; off < len; off += shape.messageBytes) buf.writeDoubleLE(now, off);
      }
      this.sent += n;
      if (!socket.write(buf)) {
        socket.once('drain', this.pumpFn);
        return;
      }
    }
    setImmediate(this.pumpFn);
  }

  private finishIfSettled(): void {
    if (this.done) return;
    if (this.window > 0 && this.settled < this.sent) return;
    this.done = true;
    if (this.onDone !== null) this.onDone();
  }

  /** Exposed for tests: handles one frame (confirms, returns). */
  frame(r: FrameReader): void {
    if (r.frameType !== FRAME_METHOD) return; // returned messages' content, heartbeats
    const buf = r.buffer;
    const p = r.start;
    const id = buf.readUInt32BE(p);
    if (id === MethodId.BasicAck || id === MethodId.BasicNack) {
      const tag = buf.readUInt32BE(p + 4) * 4294967296 + buf.readUInt32BE(p + 8);
      this.settle(tag, (buf[p + 12]! & 1) === 1, id === MethodId.BasicAck);
      if (this.waiting) this.pump();
      else if (countReached(this.o, this.sent)) this.finishIfSettled();
    } else if (id === MethodId.BasicReturn) {
      this.returned++;
    }
  }

  /** Settles one tag or, with multiple, every unsettled tag up to it; counts each sequence number once. */
  private settle(tag: number, multiple: boolean, ack: boolean): void {
    const w = this.window;
    if (w === 0 || tag < this.low || tag > this.sent) return;
    const ring = this.ring;
    let fresh = 0;
    if (multiple) {
      for (let t = this.low; t <= tag; t++) {
        const i = t % w;
        if (ring[i] === 0) fresh++;
        else ring[i] = 0;
      }
      this.low = tag + 1;
    } else {
      const i = tag % w;
      if (ring[i] === 0) {
        ring[i] = 1;
        fresh = 1;
      }
    }
    while (this.low <= this.sent && ring[this.low % w] === 1) {
      ring[this.low % w] = 0;
      this.low++;
    }
    if (ack) this.confirmed += fresh;
    else this.nacked += fresh;
  }
}

function countReached(o: PerfOptions, sent: number): boolean {
  return o.producerCount > 0 && sent >= o.producerCount;
}

/** Declares the queue (and the exchange and binding when -e names one) on channel 1. */
export async function declareTopology(c: PerfClient, o: PerfOptions): Promise<void> {
  if (o.exchange !== '' && !o.exchange.startsWith('amq.')) {
    await c.call(
      CHANNEL,
      MethodId.ExchangeDeclare,
      { exchange: o.exchange, type: o.exchangeType, durable: o.persistent, arguments: {} },
      MethodId.ExchangeDeclareOk,
    );
  }
  await c.call(
    CHANNEL,
    MethodId.QueueDeclare,
    { queue: o.queue, durable: o.persistent, exclusive: false, autoDelete: false, arguments: {} },
    MethodId.QueueDeclareOk,
  );
  if (o.exchange !== '') {
    await c.call(
      CHANNEL,
      MethodId.QueueBind,
      { queue: o.queue, exchange: o.exchange, routingKey: o.routingKey, arguments: {} },
      MethodId.QueueBindOk,
    );
  }
}
