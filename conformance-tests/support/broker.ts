/**
 * Conformance-test support: where the broker is, and small helpers every test file uses.
 *
 * The suite is black-box. With AMQP_URL set it talks to that broker (run-against-rabbitmq.sh points it at a
 * private RabbitMQ node, the reference); without it, it starts Leveret in-process on an ephemeral port.
 *
 * amqplib reports a server-side channel or connection close as an 'error' event; an 'error' with no listener
 * would be thrown inside amqplib's frame handling and take the jest worker with it. Every connection and channel
 * made through this module is watched: errors are recorded, and `closed` resolves with the close error (or
 * undefined for a clean close).
 */
import * as amqp from 'amqplib';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';

export interface BrokerHandle {
  url: string;
  /** Leveret's management API (http://host:port); absent against an external broker (see MANAGEMENT_URL). */
  httpUrl?: string;
  close(): Promise<void>;
}

export async function useBroker(): Promise<BrokerHandle> {
  const external = process.env.AMQP_URL;
  if (external !== undefined && external !== '') {
    return { url: external, close: async () => {} };
  }
  // Resolved at run time so the suite can be pointed at any broker without Leveret's sources compiling.
  const brokerModulePath = '../../src/broker';
  const mod = (await import(brokerModulePath)) as {
    startBroker(options: unknown): Promise<{ url: string; port: number; httpUrl: string; close(): Promise<void> }>;
  };
  const broker = await mod.startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, logLevel: 'silent' });
  return { url: broker.url, httpUrl: broker.httpUrl, close: () => broker.close() };
}

/** A name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  return `conf.${prefix}.${randomBytes(6).toString('hex')}`;
}

/** What the server said when it closed a channel or a connection. */
export interface CloseInfo {
  code: number;
  text: string;
  classId?: number;
  methodId?: number;
}

interface Watch {
  errors: Error[];
  closed: Promise<Error | undefined>;
  isClosed: boolean;
}

const watches = new WeakMap<object, Watch>();

function watch(emitter: NodeJS.EventEmitter): Watch {
  const existing = watches.get(emitter);
  if (existing) return existing;
  const errors: Error[] = [];
  let resolveClosed!: (err: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => {
    resolveClosed = resolve;
  });
  const w: Watch = { errors, closed, isClosed: false };
  emitter.on('error', (err: Error) => {
    errors.push(err);
  });
  emitter.on('close', (err?: Error) => {
    w.isClosed = true;
    resolveClosed(err ?? errors[errors.length - 1]);
  });
  watches.set(emitter, w);
  return w;
}

/** Errors recorded on a watched connection or channel so far. */
export function errorsOf(emitter: object): Error[] {
  return watches.get(emitter)?.errors ?? [];
}

/** Resolves when a watched connection or channel has closed, with its close error (undefined if clean). */
export function whenClosed(emitter: object, timeoutMs = 5000): Promise<Error | undefined> {
  const w = watches.get(emitter);
  if (!w) throw new Error('whenClosed: not a watched connection or channel');
  return withTimeout(w.closed, timeoutMs, 'waiting for close');
}

export function isClosed(emitter: object): boolean {
  return watches.get(emitter)?.isClosed ?? false;
}

/** Connections opened by tests; `closeAll()` (run in afterEach) closes what the test left open. */
const openConnections = new Set<amqp.ChannelModel>();

export async function connect(url: string): Promise<amqp.ChannelModel> {
  const conn = await amqp.connect(url);
  watch(conn);
  openConnections.add(conn);
  conn.on('close', () => openConnections.delete(conn));
  return conn;
}

export async function channel(conn: amqp.ChannelModel): Promise<amqp.Channel> {
  const ch = await conn.createChannel();
  watch(ch);
  return ch;
}

export async function confirmChannel(conn: amqp.ChannelModel): Promise<amqp.ConfirmChannel> {
  const ch = await conn.createConfirmChannel();
  watch(ch);
  return ch;
}

/** Named queues and exchanges a test created; deleted after each test over a fresh connection. */
const createdQueues = new Set<string>();
const createdExchanges = new Set<string>();

/** Records names for deletion after the test; returns the first name for convenience. */
export const cleanup = {
  queue(...names: string[]): string {
    for (const n of names) createdQueues.add(n);
    return names[0] ?? '';
  },
  exchange(...names: string[]): string {
    for (const n of names) createdExchanges.add(n);
    return names[0] ?? '';
  },
};

async function deleteCreated(url: string): Promise<void> {
  if (createdQueues.size === 0 && createdExchanges.size === 0) return;
  const queues = [...createdQueues];
  const exchanges = [...createdExchanges];
  createdQueues.clear();
  createdExchanges.clear();
  const conn = await connect(url);
  for (const name of queues) {
    const ch = await channel(conn);
    await ch.deleteQueue(name).catch(() => undefined);
    if (!isClosed(ch)) await ch.close().catch(() => undefined);
  }
  for (const name of exchanges) {
    const ch = await channel(conn);
    await ch.deleteExchange(name).catch(() => undefined);
    if (!isClosed(ch)) await ch.close().catch(() => undefined);
  }
  await conn.close().catch(() => undefined);
}

// amqplib's method ids, for the few methods its promise API does not expose (tx.*, channel.flow, ...).
// amqplib's package exports hide lib/, so it is reached through the resolved entry point.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const amqplibDefs = require(join(dirname(require.resolve('amqplib')), 'lib', 'defs.js')) as Record<string, number>;

function methodIdOf(name: string): number {
  const id = amqplibDefs[name];
  if (typeof id !== 'number') throw new Error(`amqplib has no method ${name}`);
  return id;
}

/** A synchronous method amqplib's promise API lacks, e.g. rpc(ch, 'TxSelect', {}, 'TxSelectOk'). */
export function rpc(ch: amqp.Channel, method: string, fields: Record<string, unknown>, reply: string): Promise<Record<string, unknown>> {
  const internal = ch as unknown as { rpc(m: number, f: unknown, r: number): Promise<Record<string, unknown>> };
  return internal.rpc(methodIdOf(method), fields, methodIdOf(reply));
}

/** Sends a method without waiting for a reply. */
export function send(ch: amqp.Channel, method: string, fields: Record<string, unknown>): void {
  const internal = ch as unknown as { sendImmediately(m: number, f: unknown): void };
  internal.sendImmediately(methodIdOf(method), fields);
}

export async function closeAll(): Promise<void> {
  const conns = [...openConnections];
  openConnections.clear();
  await Promise.all(
    conns.map(async (c) => {
      try {
        await withTimeout(c.close(), 3000, 'closing connection');
      } catch {
        // already closed by the server, or closing: nothing left to tidy
      }
    }),
  );
}

/** Parses amqplib's close messages: `... 404 (NOT-FOUND) with message "NOT_FOUND - ..."`. */
export function parseClose(err: Error & { code?: number; classId?: number; methodId?: number }): CloseInfo {
  const m = /(\d{3}) \([^)]*\) with message "([\s\S]*)"$/.exec(err.message);
  const info: CloseInfo = {
    code: err.code ?? (m ? Number(m[1]) : 0),
    text: m?.[2] ?? err.message,
  };
  if (err.classId !== undefined) info.classId = err.classId;
  if (err.methodId !== undefined) info.methodId = err.methodId;
  return info;
}

function matchText(actual: string, expected: string | RegExp): void {
  if (typeof expected === 'string') expect(actual).toBe(expected);
  else expect(actual).toMatch(expected);
}

/**
 * Runs `action` on a watched channel and expects the server to close the channel with `code` and `text`.
 * `action` may return the operation's promise (an RPC that fails) or nothing (a publish, an ack...).
 */
export async function expectChannelClose(
  ch: amqp.Channel,
  action: () => unknown,
  code: number,
  text: string | RegExp,
): Promise<CloseInfo> {
  const w = watches.get(ch);
  if (!w) throw new Error('expectChannelClose: channel not made with channel()/confirmChannel()');
  let rejection: unknown;
  try {
    await action();
  } catch (err) {
    rejection = err;
  }
  const closeErr = await withTimeout(w.closed, 5000, `waiting for channel close ${code}`);
  const err = (closeErr ?? rejection) as (Error & { code?: number }) | undefined;
  if (!err) throw new Error('channel closed cleanly; expected a server close');
  const info = parseClose(err);
  expect(info.code).toBe(code);
  matchText(info.text, text);
  if (rejection !== undefined) {
    expect(parseClose(rejection as Error).code).toBe(code);
  }
  return info;
}

/** Runs `action` and expects the server to close the whole connection with `code` and `text`. */
export async function expectConnectionClose(
  conn: amqp.ChannelModel,
  action: () => unknown,
  code: number,
  text: string | RegExp,
): Promise<CloseInfo> {
  const w = watches.get(conn);
  if (!w) throw new Error('expectConnectionClose: connection not made with connect()');
  try {
    await action();
  } catch {
    // the RPC in flight fails with the connection; the close event carries the reason
  }
  const closeErr = await withTimeout(w.closed, 5000, `waiting for connection close ${code}`);
  if (!closeErr) throw new Error('connection closed cleanly; expected a server close');
  const info = parseClose(closeErr as Error & { code?: number });
  expect(info.code).toBe(code);
  matchText(info.text, text);
  return info;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 3000, what = 'condition', everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await delay(everyMs);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects deliveries into an array and lets a test wait for a count. */
export class Inbox {
  readonly messages: amqp.ConsumeMessage[] = [];
  cancelled = false;
  private waiters: Array<() => void> = [];

  readonly onMessage = (msg: amqp.ConsumeMessage | null): void => {
    if (msg === null) this.cancelled = true;
    else this.messages.push(msg);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  };

  async waitFor(count: number, timeoutMs = 5000): Promise<amqp.ConsumeMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} messages; have ${this.messages.length}`);
      await withTimeout(
        new Promise<void>((resolve) => this.waiters.push(resolve)),
        left,
        `waiting for ${count} messages; have ${this.messages.length}`,
      ).catch(() => undefined);
    }
    return this.messages.slice(0, count);
  }

  async waitForCancel(timeoutMs = 5000): Promise<void> {
    await eventually(() => this.cancelled, timeoutMs, 'consumer cancel');
  }

  bodies(): string[] {
    return this.messages.map((m) => m.content.toString());
  }
}

/** Gets up to `max` messages with basic.get (noAck), returning their bodies in order. */
export async function drain(ch: amqp.Channel, queue: string, max = 1000): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < max; i++) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) break;
    out.push(m.content.toString());
  }
  return out;
}

/**
 * Waits until the queue holds `count` ready messages (passive declare; publishes are asynchronous so a test
 * that publishes then inspects must wait for the broker to have routed them).
 */
export async function waitForReady(ch: amqp.Channel, queue: string, count: number, timeoutMs = 3000): Promise<void> {
  await eventually(async () => (await ch.checkQueue(queue)).messageCount === count, timeoutMs, `${count} messages in ${queue}`);
}

async function exists(url: string, probe: (ch: amqp.Channel) => Promise<unknown>): Promise<boolean> {
  const conn = await connect(url);
  try {
    const ch = await channel(conn);
    try {
      await probe(ch);
      return true;
    } catch (err) {
      if (parseClose(err as Error).code === 404) return false;
      throw err;
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Polls (passive declare on a fresh channel) until the queue no longer exists. */
export async function waitUntilQueueGone(url: string, queue: string, timeoutMs = 3000): Promise<void> {
  await eventually(async () => !(await exists(url, (ch) => ch.checkQueue(queue))), timeoutMs, `queue ${queue} to be deleted`);
}

export function queueExists(url: string, queue: string): Promise<boolean> {
  return exists(url, (ch) => ch.checkQueue(queue));
}

export function exchangeExists(url: string, exchange: string): Promise<boolean> {
  return exists(url, (ch) => ch.checkExchange(exchange));
}

/**
 * Standard per-file lifecycle: a broker for the file, every connection a test opened closed after it.
 * Returns an object whose `url` is valid inside tests.
 */
export function setupBroker(): { readonly url: string } {
  let broker: BrokerHandle | undefined;
  const ctx = {
    get url(): string {
      if (!broker) throw new Error('broker not started');
      return broker.url;
    },
  };
  // Some RabbitMQ behaviours take seconds (it delays closing a socket after a failed handshake by 3 s).
  jest.setTimeout(20000);
  beforeAll(async () => {
    broker = await useBroker();
  });
  afterEach(async () => {
    await closeAll();
    if (broker) await deleteCreated(broker.url);
    await closeAll();
  });
  afterAll(async () => {
    await closeAll();
    await broker?.close();
  });
  return ctx;
}

/** A connection and one channel on it: the common start of a test. */
export async function open(url: string): Promise<{ conn: amqp.ChannelModel; ch: amqp.Channel }> {
  const conn = await connect(url);
  const ch = await channel(conn);
  return { conn, ch };
}

// ---------------------------------------------------------------------------------------------------------------
// Queue features (TTL, dead-lettering, length limits, x-expires): helpers shared by queue-ttl,
// queue-length-limits, dead-lettering, consumers, publishing and the extensions tests.

/** An AMQP timestamp as amqplib decodes it from a table: seconds since the epoch, tagged. */
export interface AmqpTimestamp {
  '!': 'timestamp';
  value: number;
}

/** One entry of the x-death header (RabbitMQ dead-lettering), as amqplib decodes it. */
export interface XDeath {
  count: number;
  reason: string;
  queue: string;
  exchange: string;
  'routing-keys': string[];
  time: AmqpTimestamp;
  'original-expiration'?: string;
}

/** The headers of a message, or an empty object. */
export function headersOf(msg: amqp.Message): Record<string, unknown> {
  return (msg.properties.headers ?? {}) as Record<string, unknown>;
}

/** The x-death entries of a dead-lettered message, newest first; fails the test if there are none. */
export function xDeath(msg: amqp.Message): XDeath[] {
  const deaths = headersOf(msg)['x-death'];
  if (!Array.isArray(deaths) || deaths.length === 0) {
    throw new Error(`message has no x-death header: ${JSON.stringify(msg.properties.headers)}`);
  }
  return deaths as XDeath[];
}

/** Publishes one message on a confirm channel and resolves with the broker's answer for it. */
export function publishOutcome(
  ch: amqp.ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: string | Buffer,
  options: amqp.Options.Publish = {},
): Promise<'ack' | 'nack'> {
  return new Promise((resolve) => {
    ch.publish(exchange, routingKey, typeof body === 'string' ? Buffer.from(body) : body, options, (err) => {
      resolve(err === null || err === undefined ? 'ack' : 'nack');
    });
  });
}

/** Takes one message with basic.get (noAck) and fails the test if there is none. */
export async function getOne(ch: amqp.Channel, queue: string, timeoutMs = 3000): Promise<amqp.GetMessage> {
  return eventually(async () => (await ch.get(queue, { noAck: true })) || undefined, timeoutMs, `a message in ${queue}`);
}

/**
 * Whether a mandatory publish through the default exchange reaches `queue`, on a watched confirm channel: a
 * basic.return (which RabbitMQ sends before the ack) means the queue is gone. Unlike a passive queue.declare or a
 * basic.get, a publish does not renew an x-expires lease. The probe message stays in the queue if it exists.
 */
export async function isRoutable(ch: amqp.ConfirmChannel, queue: string): Promise<boolean> {
  const id = randomBytes(8).toString('hex');
  let returned = false;
  const onReturn = (m: amqp.Message): void => {
    if (m.properties.messageId === id) returned = true;
  };
  ch.on('return', onReturn);
  try {
    ch.publish('', queue, Buffer.from('routable?'), { mandatory: true, messageId: id });
    await withTimeout(ch.waitForConfirms(), 5000, `confirm of a probe to ${queue}`);
    return !returned;
  } finally {
    ch.removeListener('return', onReturn);
  }
}

/**
 * Waits until `queue` no longer exists without renewing its x-expires lease (see isRoutable); resolves with the
 * milliseconds waited.
 */
export async function waitUntilUnroutable(url: string, queue: string, timeoutMs = 3000): Promise<number> {
  const started = Date.now();
  const conn = await connect(url);
  try {
    const ch = await confirmChannel(conn);
    await eventually(async () => !(await isRoutable(ch, queue)), timeoutMs, `queue ${queue} to expire`);
    return Date.now() - started;
  } finally {
    await conn.close().catch(() => undefined);
  }
}
