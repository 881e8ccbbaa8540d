import type { Message } from '../queue/message';
import { withTapper, withoutTapper, type Tapper } from '../util/tap';
import type { VhostRegistry } from '../vhost/registry';
import { formatProperties } from './views/properties';

/** Where a tail's events go: an HTTP response as Server-Sent Events (the management API owns the socket). */
export interface TailSink {
  /** Writes a chunk; false when the socket's buffer is full: no more is written until `onDrain` fires. */
  write(chunk: string): boolean;
  /** Calls `listener` once when the socket can take more. */
  onDrain(listener: () => void): void;
  /** Ends the response (after an `end` event). */
  end(): void;
}

export interface TailOptions {
  /** Payloads are cut to this many bytes in events (`payload_bytes` keeps the full size). */
  readonly maxBytes: number;
  /** Events held for a slow reader before dropping (default 1000). */
  readonly capacity?: number;
  /** Body bytes held for a slow reader before dropping (default 1 MiB); one event always fits. */
  readonly heldBytes?: number;
  /** A comment line this often keeps proxies and the browser's EventSource from timing out (default 15 s). */
  readonly heartbeatMs?: number;
}

export type TailTarget = { readonly exchange: string } | { readonly queue: string };

/** TailAdmin.open's refusals: no such exchange/queue, or the user has `MAX_TAILS_PER_USER` open already. */
export type TailRefusal = 'not_found' | 'too_many';

export const MAX_TAILS_PER_USER = 10;
const DEFAULT_CAPACITY = 1000;
const DEFAULT_HELD_BYTES = 1 << 20;
/** How often a subscription looks whether its exchange or queue was deleted (it then ends). */
const TICK_MS = 250;
/** Events formatted per event-loop turn at most: a reader catching up never holds the loop long. */
const EVENTS_PER_TURN = 200;

/** What a tail watches: an exchange or a queue, both with a `tappers` list and a `deleted` flag. */
interface Tapped {
  tappers: readonly Tapper[] | undefined;
  readonly deleted: boolean;
}

/**
 * Live tails (issue 15): every message published to an exchange, or routed into a queue, as Server-Sent Events,
 * without consuming it. The publish pipeline hands each subscriber a reference (util/tap.ts); a subscriber keeps
 * references in a bounded ring and formats them to JSON only when it writes to its socket, at the socket's pace.
 * A reader that falls behind loses events (counted, and told in a `dropped` event), never slows the broker.
 */
export class TailAdmin {
  private readonly perUser = new Map<string, number>();

  constructor(private readonly registry: VhostRegistry) {}

  /** How many tails `user` has open. */
  openCount(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  /** Starts a tail writing to `sink`: the subscription, or why not. The caller checked the user's permissions. */
  open(user: string, vhost: string, target: TailTarget, sink: TailSink, options: TailOptions): TailSubscription | TailRefusal {
    const v = this.registry.get(vhost);
    const tapped: Tapped | undefined = 'exchange' in target ? v?.exchanges.get(target.exchange) : v?.queues.get(target.queue);
    if (tapped === undefined || tapped.deleted) return 'not_found';
    const open = this.openCount(user);
    if (open >= MAX_TAILS_PER_USER) return 'too_many';
    this.perUser.set(user, open + 1);
    const what: Record<string, string> = 'exchange' in target ? { vhost, exchange: target.exchange } : { vhost, queue: target.queue };
    const subscription = new TailSubscription(tapped, 'exchange' in target, sink, options, () => this.closed(user));
    subscription.start(what);
    return subscription;
  }

  private closed(user: string): void {
    const n = this.openCount(user) - 1;
    if (n <= 0) this.perUser.delete(user);
    else this.perUser.set(user, n);
  }
}

/**
 * One reader's tail. The ring holds message references, the time they passed and how many queues took them, in
 * preallocated arrays: tapping allocates nothing. Events dropped while the ring was full are counted and reported
 * in a `dropped` event placed where the gap is.
 */
export class TailSubscription implements Tapper {
  private readonly capacity: number;
  private readonly heldLimit: number;
  private readonly messages: (Message | undefined)[];
  private readonly routed: Int32Array;
  private readonly at: Float64Array;
  /** Events dropped just before the event in this slot. */
  private readonly gapBefore: Float64Array;
  private head = 0;
  private size = 0;
  private held = 0;
  /** Dropped since the last event that got a slot. */
  private dropped = 0;
  private totalDropped = 0;
  private flushScheduled = false;
  private waitingForDrain = false;
  private closed = false;
  private ticks = 0;
  private readonly ticksPerHeartbeat: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushLater = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
  private readonly drained = (): void => {
    this.waitingForDrain = false;
    this.flush();
  };
  private readonly tick = (): void => this.onTick();

  constructor(
    private readonly tapped: Tapped,
    private readonly isExchange: boolean,
    private readonly sink: TailSink,
    private readonly options: TailOptions,
    private readonly onClose: () => void,
  ) {
    this.capacity = Math.max(1, options.capacity ?? DEFAULT_CAPACITY);
    this.heldLimit = options.heldBytes ?? DEFAULT_HELD_BYTES;
    this.messages = new Array<Message | undefined>(this.capacity).fill(undefined);
    this.routed = new Int32Array(this.capacity);
    this.at = new Float64Array(this.capacity);
    this.gapBefore = new Float64Array(this.capacity);
    this.ticksPerHeartbeat = Math.max(1, Math.round((options.heartbeatMs ?? 15_000) / TICK_MS));
  }

  /** Events dropped so far because the reader was behind. */
  get droppedCount(): number {
    return this.totalDropped;
  }

  /** Writes the `open` event and subscribes. */
  start(what: Record<string, string>): void {
    this.write(`event: open\ndata: ${JSON.stringify({ ...what, max_bytes: this.options.maxBytes })}\n\n`);
    this.tapped.tappers = withTapper(this.tapped.tappers, this);
    this.timer = setInterval(this.tick, TICK_MS);
    this.timer.unref();
  }

  /** Tapper: called by the publish pipeline for each message; keeps the reference or counts a drop. */
  tap(message: object, routed: number): void {
    const m = message as Message;
    const bytes = m.body.length;
    if (this.size === this.capacity || (this.size > 0 && this.held + bytes > this.heldLimit)) {
      this.dropped++;
      this.totalDropped++;
      return;
    }
    const slot = (this.head + this.size) % this.capacity;
    this.messages[slot] = m;
    this.routed[slot] = routed;
    this.at[slot] = Date.now();
    this.gapBefore[slot] = this.dropped;
    this.dropped = 0;
    this.size++;
    this.held += bytes;
    if (!this.flushScheduled && !this.waitingForDrain) {
      this.flushScheduled = true;
      setImmediate(this.flushLater);
    }
  }

  /** The reader went away (or the broker stops): unsubscribes and lets go of every reference. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tapped.tappers = withoutTapper(this.tapped.tappers, this);
    if (this.timer !== undefined) clearInterval(this.timer);
    this.messages.fill(undefined);
    this.size = 0;
    this.held = 0;
    this.onClose();
  }

  /** Ends the stream with an `end` event (the exchange or queue was deleted, or the server closes). */
  end(reason: string): void {
    if (this.closed) return;
    this.flush();
    this.write(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.close();
    this.sink.end();
  }

  private onTick(): void {
    if (this.tapped.deleted) {
      this.end(this.isExchange ? 'exchange deleted' : 'queue deleted');
      return;
    }
    if (++this.ticks >= this.ticksPerHeartbeat) {
      this.ticks = 0;
      if (!this.waitingForDrain) this.write(': heartbeat\n\n');
    }
  }

  /** Formats and writes held events, a turn's worth at most, until the socket is full. */
  private flush(): void {
    if (this.closed || this.waitingForDrain) return;
    let chunk = '';
    let n = 0;
    while (this.size > 0 && n < EVENTS_PER_TURN) {
      const slot = this.head;
      const message = this.messages[slot] as Message;
      const gap = this.gapBefore[slot] as number;
      if (gap > 0) chunk += droppedEvent(gap);
      chunk += `data: ${JSON.stringify(this.describe(message, this.routed[slot] as number, this.at[slot] as number))}\n\n`;
      this.messages[slot] = undefined;
      this.head = (slot + 1) % this.capacity;
      this.size--;
      this.held -= message.body.length;
      n++;
    }
    if (this.size === 0 && this.dropped > 0) {
      // Caught up, and the last events were dropped: say so now rather than before the next event.
      chunk += droppedEvent(this.dropped);
      this.dropped = 0;
    }
    if (chunk !== '' && !this.write(chunk)) return;
    if (this.size > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushLater);
    }
  }

  private write(chunk: string): boolean {
    if (this.sink.write(chunk)) return true;
    this.waitingForDrain = true;
    this.sink.onDrain(this.drained);
    return false;
  }

  private describe(message: Message, routed: number, at: number): Record<string, unknown> {
    const event: Record<string, unknown> = {
      at,
      exchange: message.exchange,
      routing_key: message.routingKey,
      properties: propertiesOf(message.properties),
      ...payloadView(message.body, this.options.maxBytes),
    };
    if (this.isExchange) event.routed = routed > 0;
    else event.redelivered = false;
    return event;
  }
}

function droppedEvent(count: number): string {
  return `event: dropped\ndata: {"count":${count}}\n\n`;
}

function propertiesOf(bytes: Buffer): Record<string, unknown> | [] {
  try {
    return formatProperties(bytes);
  } catch {
    return [];
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The payload as RabbitMQ's /get shows it with encoding `auto`: a UTF-8 string when it decodes, else base64; cut to
 * `maxBytes` (a cut inside a UTF-8 sequence makes it base64, as it would in /get).
 */
export function payloadView(body: Buffer, maxBytes: number): { payload: string; payload_encoding: string; payload_bytes: number } {
  const cut = body.length > maxBytes ? body.subarray(0, maxBytes) : body;
  let text: string | undefined;
  try {
    text = utf8.decode(cut);
  } catch {
    text = undefined;
  }
  return text === undefined
    ? { payload: cut.toString('base64'), payload_encoding: 'base64', payload_bytes: body.length }
    : { payload: text, payload_encoding: 'string', payload_bytes: body.length };
}
