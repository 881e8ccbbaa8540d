/**
 * The ha-test's AMQP clients, written the way the issue tells users to write theirs: they list every node, connect
 * to whichever completes the handshake (a standby refuses; a paused node times out), and after a connection loss
 * reconnect the same way.
 *
 *  - Publisher: persistent messages to the default exchange (mandatory, so a queue missing after a failover shows
 *    up as a return), publisher confirms, at most `window` ids unconfirmed; after a reconnect (or a nack) it
 *    re-publishes every unconfirmed id as a new copy. Paced at `rate` messages a second.
 *  - Consumer: one queue, manual acks, prefetch N; every delivery is written to the ledger BEFORE it is acked; acks
 *    go out with `multiple` every 20 ms (at most `rate` a second, to let a backlog build up), so a fault finds
 *    some deliveries unacked.
 */
import * as amqp from 'amqplib';
import type { Ledger } from './ledger';
import { amqpUrl, type NodeSpec } from './target';

export interface ClientSettings {
  nodes: NodeSpec[];
  heartbeatS: number;
  connectTimeoutMs: number;
  /** Pause between two rounds of trying every node. */
  retryMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Tries every node in turn, starting at `from` (the reconnect loops pass the node after the one they lost), until one
 * completes the handshake or `stopped()` says stop. A paused node costs the connect timeout on every round.
 */
export async function connectToActive(s: ClientSettings, from: number, stopped: () => boolean): Promise<{ conn: amqp.ChannelModel; node: number } | undefined> {
  for (;;) {
    for (let k = 0; k < s.nodes.length; k++) {
      if (stopped()) return undefined;
      const node = (from + k) % s.nodes.length;
      try {
        const conn = await amqp.connect(amqpUrl(s.nodes[node]!, s.heartbeatS), { timeout: s.connectTimeoutMs });
        conn.on('error', () => {}); // 'close' follows; the loops below act on it
        return { conn, node };
      } catch {
        // refused, closed, or timed out: the next node
      }
    }
    await sleep(s.retryMs);
  }
}

/** Resolves when the connection or the channel closes. */
function closedOf(conn: amqp.ChannelModel, ch: amqp.Channel): Promise<void> {
  return new Promise((resolve) => {
    conn.once('close', () => resolve());
    ch.once('close', () => resolve());
  });
}

interface Entry {
  id: string;
  queue: string;
  /** The copy in flight (or last sent); -1 before the first publish. */
  attempt: number;
  inFlight: boolean;
}

const BODY_BYTES = 200;
const TICK_MS = 10;

export function bodyOf(id: string, attempt: number): Buffer {
  return Buffer.from(`${id}#${attempt}`.padEnd(BODY_BYTES, '.'));
}

export function copyOf(body: Buffer): { id: string; attempt: number } {
  const s = body.toString('latin1').replace(/\.+$/, '');
  const hash = s.lastIndexOf('#');
  return { id: s.slice(0, hash), attempt: Number(s.slice(hash + 1)) };
}

export class Publisher {
  private seq = 0;
  private readonly unconfirmed = new Map<string, Entry>();
  private ch: amqp.ConfirmChannel | undefined;
  private credit = 0;
  private node = 0;
  /** No new ids from now on; unconfirmed ones are still re-published until confirmed. */
  noNew = false;
  private stopped = false;
  connections = 0;
  private running: Promise<void> | undefined;

  constructor(
    readonly index: number,
    private readonly queues: string[],
    private readonly window: number,
    private readonly rate: number,
    private readonly ledger: Ledger,
    private readonly settings: ClientSettings,
  ) {}

  get pending(): number {
    return this.unconfirmed.size;
  }

  start(): void {
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const got = await connectToActive(this.settings, this.connections === 0 ? this.node : this.node + 1, () => this.stopped);
      if (got === undefined) return;
      this.node = got.node;
      this.connections++;
      let ch: amqp.ConfirmChannel;
      try {
        ch = await got.conn.createConfirmChannel();
      } catch {
        await got.conn.close().catch(() => {});
        continue;
      }
      ch.on('error', () => {});
      ch.on('return', (msg: amqp.Message) => {
        const c = copyOf(msg.content);
        this.ledger.returnedCopy(c.id, c.attempt, Date.now());
      });
      const closed = closedOf(got.conn, ch);
      this.ch = ch;
      this.credit = 0;
      // Every unconfirmed id goes again, as a new copy, before anything new.
      for (const e of this.unconfirmed.values()) e.inFlight = false;
      const timer = setInterval(() => this.tick(), TICK_MS);
      this.tick();
      await closed;
      clearInterval(timer);
      this.ch = undefined;
      if (this.stopped) await got.conn.close().catch(() => {});
    }
  }

  private send(e: Entry): boolean {
    const ch = this.ch;
    if (ch === undefined) return false;
    const attempt = e.attempt + 1;
    const t = Date.now();
    this.ledger.publish(e.id, attempt, e.queue, t);
    try {
      ch.publish('', e.queue, bodyOf(e.id, attempt), { persistent: true, mandatory: true, messageId: e.id }, (err: unknown) =>
        this.onConfirm(e.id, attempt, t, err),
      );
    } catch {
      return false; // the channel is closing; the loop reconnects and sends it again
    }
    e.attempt = attempt;
    e.inFlight = true;
    return true;
  }

  private onConfirm(id: string, attempt: number, publishedAt: number, err: unknown): void {
    const e = this.unconfirmed.get(id);
    if (err === null || err === undefined) {
      this.ledger.confirm(id, attempt, publishedAt, Date.now());
      this.unconfirmed.delete(id);
      return;
    }
    // Nacked, or the channel closed before the confirm: send again (now on this channel, or after the reconnect),
    // unless a later copy is already under way.
    if (e !== undefined && e.attempt === attempt) e.inFlight = false;
  }

  private tick(): void {
    if (this.ch === undefined) return;
    for (const e of this.unconfirmed.values()) {
      if (!e.inFlight && !this.send(e)) return;
    }
    if (this.noNew) return;
    this.credit = Math.min(this.credit + (this.rate * TICK_MS) / 1000, Math.max(1, this.rate / 10));
    while (this.credit >= 1 && this.unconfirmed.size < this.window) {
      const id = `p${this.index}.${this.seq}`;
      const e: Entry = { id, queue: this.queues[this.seq % this.queues.length]!, attempt: -1, inFlight: false };
      this.seq++;
      this.unconfirmed.set(id, e);
      this.credit--;
      if (!this.send(e)) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const ch = this.ch;
    if (ch !== undefined) await ch.close().catch(() => {});
    await this.running;
  }
}

const ACK_INTERVAL_MS = 20;

export class Consumer {
  private stopped = false;
  private node = 0;
  connections = 0;
  /** Acks a second at most (so a backlog builds up); Infinity acks everything every ACK_INTERVAL_MS. */
  rate = Infinity;
  /** Problems seen (a queue missing after a failover). */
  readonly problems: string[] = [];
  private running: Promise<void> | undefined;
  private conn: amqp.ChannelModel | undefined;
  private flush: ((all: boolean) => void) | undefined;

  constructor(
    readonly index: number,
    readonly queue: string,
    private readonly prefetch: number,
    private readonly ledger: Ledger,
    private readonly settings: ClientSettings,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const got = await connectToActive(this.settings, this.connections === 0 ? this.node : this.node + 1, () => this.stopped);
      if (got === undefined) return;
      this.node = got.node;
      this.connections++;
      this.conn = got.conn;
      let ch: amqp.Channel;
      try {
        ch = await got.conn.createChannel();
      } catch {
        await got.conn.close().catch(() => {});
        continue;
      }
      ch.on('error', () => {});
      const closed = closedOf(got.conn, ch);
      // Delivered and logged, not acked yet, in delivery order.
      const held: amqp.ConsumeMessage[] = [];
      let credit = 0;
      const flush = (all: boolean): void => {
        credit = Math.min(credit + (this.rate * ACK_INTERVAL_MS) / 1000, this.prefetch);
        const n = all || this.rate === Infinity ? held.length : Math.min(held.length, Math.floor(credit));
        if (n === 0) return;
        credit -= n;
        const upTo = held[n - 1]!;
        held.splice(0, n);
        try {
          ch.ack(upTo, true);
        } catch {
          // closed: the broker requeues them
        }
      };
      const timer = setInterval(() => flush(false), ACK_INTERVAL_MS);
      this.flush = flush;
      try {
        await ch.prefetch(this.prefetch);
        await ch.consume(
          this.queue,
          (msg: amqp.ConsumeMessage | null) => {
            if (msg === null) return; // cancelled by the broker: the channel closes or the loop goes on below
            const c = copyOf(msg.content);
            this.ledger.deliver(c.id, c.attempt, this.queue, msg.fields.redelivered, this.index, Date.now());
            held.push(msg);
          },
          { noAck: false },
        );
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        await got.conn.close().catch(() => {});
        if (/NOT_FOUND/.test(text)) {
          // A durable queue gone after a failover: a failure, noted; declared again so that the run can finish.
          this.problems.push(`${this.queue} missing on node ${got.node + 1} at ${new Date().toISOString()}`);
          await declareQueues(this.settings, [this.queue]).catch(() => {});
        }
        await sleep(this.settings.retryMs);
      }
      await closed;
      clearInterval(timer);
      this.flush = undefined;
      this.conn = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.flush?.(true);
    const conn = this.conn;
    if (conn !== undefined) await conn.close().catch(() => {});
    await this.running;
  }
}

/** Declares the queues on the active node (durable, classic). */
export async function declareQueues(s: ClientSettings, queues: string[]): Promise<void> {
  const got = await connectToActive(s, 0, () => false);
  if (got === undefined) return;
  try {
    const ch = await got.conn.createChannel();
    for (const q of queues) await ch.assertQueue(q, { durable: true });
  } finally {
    await got.conn.close().catch(() => {});
  }
}

/** Message counts of the queues as the active node sees them (undefined when no node answered in time). */
export async function queueDepths(s: ClientSettings, queues: string[], timeoutMs: number): Promise<number[] | undefined> {
  const deadline = Date.now() + timeoutMs;
  const got = await connectToActive(s, 0, () => Date.now() > deadline);
  if (got === undefined) return undefined;
  try {
    const ch = await got.conn.createChannel();
    const out: number[] = [];
    for (const q of queues) out.push((await ch.checkQueue(q)).messageCount);
    return out;
  } catch {
    return undefined;
  } finally {
    await got.conn.close().catch(() => {});
  }
}
