/**
 * The well-behaved client that runs beside the attackers (amqplib, as an application would use it): one
 * connection publishes persistent messages with publisher confirms to a durable queue of its own, another consumes
 * them with manual acks. Each message carries its number as message-id. At the end every confirmed number must have
 * been delivered; duplicates (redeliveries after a restart) are counted, not failures.
 *
 * Both sides reconnect when their connection drops. A drop is "expected" only while the runner has announced an
 * outage (the restart phase, or a crash being handled); any other drop is a finding: attackers must not be able to
 * take a well-behaved client's connection down.
 */
import * as amqp from 'amqplib';
import { sleep, within } from './time';

const IN_FLIGHT_MAX = 200;
const BATCH = 10;
const TICK_MS = 10;
const PREFETCH = 100;
const RECONNECT_MS = 200;
const CLOSE_WAIT_MS = 3000;

export interface GoodReport {
  queue: string;
  published: number;
  confirmed: number;
  /** Nacked by the broker, or unanswered when a connection dropped: unknown fate, not counted as lost. */
  unconfirmed: number;
  delivered: number;
  duplicates: number;
  lost: number;
  lostSample: number[];
  /** Deliveries that are not ours (a number never published). */
  foreign: number;
  unexpectedDisconnects: number;
  disconnectSamples: string[];
  reconnects: number;
  maxConfirmLatencyMs: number;
}


export class GoodClient {
  private stopping = false;
  private publishing = true;
  private outage = false;
  private next = 0;
  private readonly confirmed = new Set<number>();
  private unconfirmed = 0;
  private inFlight = 0;
  private readonly delivered = new Set<number>();
  private duplicates = 0;
  private foreign = 0;
  /** Drops outside an announced outage. */
  private drops: Array<{ at: number; what: string }> = [];
  private reconnects = 0;
  private maxConfirmLatencyMs = 0;
  private publisherLoop: Promise<void> | undefined;
  private consumerLoop: Promise<void> | undefined;
  private publisherConn: amqp.ChannelModel | undefined;
  private consumerConn: amqp.ChannelModel | undefined;

  constructor(
    private url: string,
    readonly queue: string,
  ) {}

  start(): void {
    this.publisherLoop = this.loop('publisher', () => this.publishSession());
    this.consumerLoop = this.loop('consumer', () => this.consumeSession());
  }

  /** Drops during an announced outage are expected. A new URL (the restarted broker's) applies to reconnects. */
  setOutage(on: boolean, url?: string): void {
    this.outage = on;
    if (url !== undefined) this.url = url;
  }

  /** Whether both sides are connected (after a restart, the runner waits for this). */
  get connected(): boolean {
    return this.publisherConn !== undefined && this.consumerConn !== undefined;
  }

  /**
   * A crash is noticed a moment after it happens: drops from `since` on were the crash, not something the
   * attackers did to this client's connection directly.
   */
  excuseSince(since: number): void {
    this.drops = this.drops.filter((d) => d.at < since);
  }

  /** finish() or abort() was called: it will not reconnect. */
  get finished(): boolean {
    return this.stopping;
  }

  private async loop(role: string, session: () => Promise<void>): Promise<void> {
    let first = true;
    while (!this.stopping) {
      if (!first) this.reconnects++;
      first = false;
      try {
        await session();
      } catch (err) {
        if (!this.stopping && !this.outage) this.drops.push({ at: Date.now(), what: `${role}: ${(err as Error).message}` });
      }
      if (!this.stopping) await sleep(RECONNECT_MS);
    }
  }

  /** Resolves when the connection closes (rejects with the reason), or when the run stops. */
  private watch(conn: amqp.ChannelModel): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      conn.on('error', (err: Error) => {
        lastError = err;
      });
      conn.on('close', () => {
        if (this.stopping) resolve();
        else reject(lastError ?? new Error('connection closed'));
      });
    });
  }

  private async publishSession(): Promise<void> {
    const conn = await amqp.connect(this.url);
    const closed = this.watch(conn);
    const pending = new Map<number, number>();
    try {
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => {
        // the connection's close reports it
      });
      await ch.assertQueue(this.queue, { durable: true });
      this.publisherConn = conn;
      let open = true;
      void closed.catch(() => undefined).finally(() => (open = false));
      while (open && !this.stopping) {
        if (this.publishing && this.inFlight < IN_FLIGHT_MAX) {
          for (let i = 0; i < BATCH; i++) this.publishOne(ch, pending);
        }
        await sleep(TICK_MS);
      }
      await closed;
    } finally {
      // Publishes the dropped connection never answered: their fate is unknown, so they are not counted as lost.
      this.inFlight -= pending.size;
      this.unconfirmed += pending.size;
      pending.clear();
      this.publisherConn = undefined;
      if (this.stopping) await within(conn.close().catch(() => undefined), CLOSE_WAIT_MS);
    }
  }

  /** pending: this session's unanswered publishes (number -> send time). */
  private publishOne(ch: amqp.ConfirmChannel, pending: Map<number, number>): void {
    const n = this.next++;
    pending.set(n, Date.now());
    this.inFlight++;
    ch.sendToQueue(this.queue, Buffer.from(`good ${n}`), { persistent: true, messageId: String(n) }, (err: unknown) => {
      const sentAt = pending.get(n);
      if (sentAt === undefined) return; // the session already wrote it off
      pending.delete(n);
      this.inFlight--;
      if (err !== null && err !== undefined) {
        this.unconfirmed++;
        return;
      }
      this.confirmed.add(n);
      const latency = Date.now() - sentAt;
      if (latency > this.maxConfirmLatencyMs) this.maxConfirmLatencyMs = latency;
    });
  }

  private async consumeSession(): Promise<void> {
    const conn = await amqp.connect(this.url);
    const closed = this.watch(conn);
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {
        // the connection's close reports it
      });
      await ch.assertQueue(this.queue, { durable: true });
      await ch.prefetch(PREFETCH);
      await ch.consume(this.queue, (msg) => {
        if (msg === null) {
          // cancelled by the broker (queue deleted): start over
          void conn.close().catch(() => undefined);
          return;
        }
        const n = Number(msg.properties.messageId);
        if (!Number.isSafeInteger(n) || n < 0 || n >= this.next) this.foreign++;
        else if (this.delivered.has(n)) this.duplicates++;
        else this.delivered.add(n);
        ch.ack(msg);
      });
      this.consumerConn = conn;
      await closed;
    } finally {
      this.consumerConn = undefined;
      if (this.stopping) await within(conn.close().catch(() => undefined), CLOSE_WAIT_MS);
    }
  }

  /**
   * Stops publishing, waits for outstanding confirms, then for every confirmed message to be delivered (up to
   * timeoutMs), and closes both connections.
   */
  async finish(timeoutMs: number): Promise<GoodReport> {
    this.publishing = false;
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < deadline && this.publisherConn !== undefined) await sleep(20);
    while (Date.now() < deadline && [...this.confirmed].some((n) => !this.delivered.has(n))) await sleep(50);
    this.stopping = true;
    await this.closeBoth();
    await within(Promise.all([this.publisherLoop, this.consumerLoop]), CLOSE_WAIT_MS);
    const lost = [...this.confirmed].filter((n) => !this.delivered.has(n));
    return {
      queue: this.queue,
      published: this.next,
      confirmed: this.confirmed.size,
      unconfirmed: this.unconfirmed + Math.max(0, this.inFlight),
      delivered: this.delivered.size,
      duplicates: this.duplicates,
      lost: lost.length,
      lostSample: lost.slice(0, 20),
      foreign: this.foreign,
      unexpectedDisconnects: this.drops.length,
      disconnectSamples: this.drops.slice(0, 10).map((d) => d.what),
      reconnects: this.reconnects,
      maxConfirmLatencyMs: this.maxConfirmLatencyMs,
    };
  }

  /** Stops without checking (Ctrl-C, aborted runs). */
  async abort(): Promise<void> {
    this.stopping = true;
    await this.closeBoth();
  }

  /** connection.close on both, bounded: a hung broker never sends close-ok. */
  private async closeBoth(): Promise<void> {
    await within(Promise.all([this.publisherConn?.close().catch(() => undefined), this.consumerConn?.close().catch(() => undefined)]), CLOSE_WAIT_MS);
  }
}
