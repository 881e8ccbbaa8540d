/**
 * A producer: the basic.publish method + content header + body frames are encoded ONCE, for a batch of messages
 * that cycles through the routing keys (--routing-keys; one key otherwise); each write copies a run of them, from
 * where the previous write stopped in the key cycle, into a fresh buffer, patches the send time into each body's
 * first 8 bytes (when the body has room) and hands the whole run to the socket in one write. It writes while the
 * socket accepts, then waits for 'drain'; at most TURN_BATCHES writes per event-loop turn so timers and confirms
 * are served. Confirms (basic.ack / basic.nack, multiple or not) settle a ring of window flags, and the send time of
 * each window slot gives publish -> confirm latency: no allocation per message.
 *
 * With -r, each write sends only the messages due by now (a timer tick of 1 ms at most between writes), so 10,000
 * msg/s goes out as about 10 messages a millisecond, never a whole batch at once; after a stall (GC, a busy
 * machine) at most MAX_CATCH_UP_MS of missed messages are sent at once, the rest of the schedule slips.
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
import { queueNames, type PerfOptions } from './args';
import type { PerfClient } from './client';
import { wallClockMs } from './clock';
import type { Histogram } from './histogram';

/** Bytes of messages per write (rounded to whole messages, at least one). */
const BATCH_BYTES = 64 * 1024;
/** Writes per event-loop turn at most. */
const TURN_BATCHES = 8;
/** With -r: how far behind schedule the producer may catch up in one write. */
const MAX_CATCH_UP_MS = 10;
const CHANNEL = 1;

export interface PublishShape {
  /** The encoded frames of `messages` messages, keys in turn from the first. */
  batch: Buffer;
  /** Byte offset of message i within batch; starts[messages] is the batch's length. */
  starts: Int32Array;
  /** Byte offset of message i's first body byte within batch; null when bodies are under 8 bytes. */
  stamps: Int32Array | null;
  messages: number;
  /** Keys in one cycle: a write starting at message k (k < cycle) has at least perWrite messages after it. */
  cycle: number;
  /** Messages per write at most (about BATCH_BYTES). */
  perWrite: number;
}

export function publishShape(o: PerfOptions, frameMax: number): PublishShape {
  const keys = o.routingKeys.length > 0 ? o.routingKeys : [o.routingKey];
  const props = encodeBasicProperties(o.persistent ? { deliveryMode: 2 } : {});
  const header = encodeHeaderFrame(CHANNEL, 60, o.size, props);
  const body = Buffer.alloc(o.size, 0x2e);
  const bodies = o.size > 0 ? bodyFrameParts(CHANNEL, body, frameMax) : [];
  const one = keys.map((routingKey) => {
    const method = encodeMethodFrame(CHANNEL, MethodId.BasicPublish, {
      exchange: o.exchange,
      routingKey,
      mandatory: o.mandatory,
      immediate: false,
    });
    return { frames: Buffer.concat([method, header, ...bodies]), bodyAt: method.length + header.length + 7 };
  });
  const cycleBytes = one.reduce((a, m) => a + m.frames.length, 0);
  const perWrite = Math.max(1, Math.floor((BATCH_BYTES * keys.length) / cycleBytes));
  const cycles = Math.ceil((perWrite + keys.length) / keys.length);
  const messages = cycles * keys.length;
  const starts = new Int32Array(messages + 1);
  const stamps = o.size >= 8 ? new Int32Array(messages) : null;
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < messages; i++) {
    const m = one[i % keys.length]!;
    starts[i] = at;
    // The body frame's 7-byte header comes right after the method and content header frames.
    if (stamps !== null) stamps[i] = at + m.bodyAt;
    parts.push(m.frames);
    at += m.frames.length;
  }
  starts[messages] = at;
  return { batch: Buffer.concat(parts, at), starts, stamps, messages, cycle: keys.length, perWrite };
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
  /** performance.now() when the message in each window slot was written (confirm latency). */
  private readonly sentAt: Float64Array;
  /** Where the next write starts in the key cycle. */
  private keyAt = 0;
  /** Lowest publish sequence number not yet settled. */
  private low = 1;
  private stopped = false;
  private waiting = false;
  private startMs = 0;
  private readonly pumpFn = (): void => this.pump();

  /** confirmLatency (µs) records publish -> basic.ack/nack per message when -c is on. */
  constructor(
    private readonly client: PerfClient,
    private readonly o: PerfOptions,
    private readonly confirmLatency: Histogram | null = null,
  ) {
    this.shape = publishShape(o, client.frameMax);
    this.window = o.confirm;
    this.ring = new Uint8Array(Math.max(1, o.confirm));
    this.sentAt = new Float64Array(Math.max(1, o.confirm));
    client.onFrame = (r) => this.frame(r);
  }

  async setUp(): Promise<void> {
    const c = this.client;
    await c.call(CHANNEL, MethodId.ChannelOpen, {}, MethodId.ChannelOpenOk);
    if (!this.o.predeclared) await declareTopology(c, this.o);
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
      let n = shape.perWrite;
      if (o.producerCount > 0) n = Math.min(n, o.producerCount - this.sent);
      if (n <= 0) {
        this.finishIfSettled();
        return;
      }
      if (this.window > 0) {
        // The window spans sequence numbers from the lowest unsettled one: a later tag acked out of order does not
        // free its slot for sent + 1, which would land on a slot still in use (low + window).
        n = Math.min(n, this.window - (this.sent - this.low + 1));
        if (n <= 0) {
          this.waiting = true; // a confirm calls pump()
          return;
        }
      }
      if (o.rate > 0) {
        const elapsed = performance.now() - this.startMs;
        let due = Math.floor((elapsed * o.rate) / 1000) - this.sent;
        if (due <= 0) {
          // The next message is due at (sent + 1) / rate s; timers have 1 ms granularity.
          const wait = ((this.sent + 1) * 1000) / o.rate - elapsed;
          setTimeout(this.pumpFn, Math.max(1, Math.min(1000, Math.ceil(wait))));
          return;
        }
        const most = Math.max(1, Math.ceil((o.rate * MAX_CATCH_UP_MS) / 1000));
        if (due > most) {
          this.startMs += ((due - most) * 1000) / o.rate; // let the schedule slip rather than burst
          due = most;
        }
        n = Math.min(n, due);
      }
      if (!socket.write(this.take(n))) {
        socket.once('drain', this.pumpFn);
        return;
      }
    }
    setImmediate(this.pumpFn);
  }

  /** The next n messages (keys in turn), stamped, in a fresh buffer for one write; counts them as sent. */
  private take(n: number): Buffer {
    const shape = this.shape;
    const from = this.keyAt;
    const base = shape.starts[from]!;
    const len = shape.starts[from + n]! - base;
    const buf = Buffer.allocUnsafe(len);
    shape.batch.copy(buf, 0, base, base + len);
    const stamps = shape.stamps;
    if (stamps !== null) {
      const now = wallClockMs();
      for (let i = from; i < from + n; i++) buf.writeDoubleLE(now, stamps[i]! - base);
    }
    if (this.window > 0 && this.confirmLatency !== null) {
      const t = performance.now();
      const w = this.window;
      for (let seq = this.sent + 1; seq <= this.sent + n; seq++) this.sentAt[seq % w] = t;
    }
    this.keyAt = (from + n) % shape.cycle;
    this.sent += n;
    return buf;
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
    const h = this.confirmLatency;
    const now = h !== null ? performance.now() : 0;
    let fresh = 0;
    if (multiple) {
      for (let t = this.low; t <= tag; t++) {
        const i = t % w;
        if (ring[i] === 0) {
          fresh++;
          if (h !== null) h.record((now - this.sentAt[i]!) * 1000);
        } else ring[i] = 0;
      }
      this.low = tag + 1;
    } else {
      const i = tag % w;
      if (ring[i] === 0) {
        ring[i] = 1;
        fresh = 1;
        if (h !== null) h.record((now - this.sentAt[i]!) * 1000);
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

/**
 * Declares the queue(s) (and the exchange and bindings when -e names one) on channel 1. With --queue-pattern every
 * queue of the pattern, each bound with its own name unless -k gave a key.
 */
export async function declareTopology(c: PerfClient, o: PerfOptions): Promise<void> {
  if (o.exchange !== '' && !o.exchange.startsWith('amq.')) {
    await c.call(
      CHANNEL,
      MethodId.ExchangeDeclare,
      { exchange: o.exchange, type: o.exchangeType, durable: o.persistent, arguments: {} },
      MethodId.ExchangeDeclareOk,
    );
  }
  for (const queue of queueNames(o)) {
    await c.call(
      CHANNEL,
      MethodId.QueueDeclare,
      { queue, durable: o.persistent, exclusive: false, autoDelete: false, arguments: {} },
      MethodId.QueueDeclareOk,
    );
    if (o.exchange !== '') {
      const routingKey = o.routingKeyIsQueue ? queue : o.routingKey;
      await c.call(CHANNEL, MethodId.QueueBind, { queue, exchange: o.exchange, routingKey, arguments: {} }, MethodId.QueueBindOk);
    }
  }
}
