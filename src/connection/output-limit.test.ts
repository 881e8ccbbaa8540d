/**
 * A client that does not read its socket cannot make the broker buffer without limit: once a connection's output
 * is over WRITE_BUFFER_LIMIT, its frames stop being handled (the rest wait, unread) until the peer drains it, and a
 * peer that takes nothing for the send timeout (RabbitMQ's send_timeout) is disconnected. Deliveries, basic.get
 * replies and basic.return all count. The server side of the socket pair here can stall: writes then stay queued in
 * its writable buffer, as they would in a TCP socket whose peer has stopped reading.
 */
import { createLogger } from '../observability/logger';
import { PROTOCOL_HEADER, encodeBodyFrame, encodeHeaderFrame } from '../protocol/frames';
import { ClassId, MethodId, encodeBasicProperties, encodeMethodFrame } from '../protocol/generated/amqp';
import { MemoryStore } from '../store/memory';
import { AccessControl } from '../auth/access';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../auth/passwords';
import { MessageStats } from '../observability/stats';
import { VhostRegistry } from '../vhost/registry';
import { Connection } from './connection';
import type { ConnectionContext } from './context';
import { PairSide } from './test-support/duplex-pair';
import { eventually, nextTurn } from '../test-support/eventually';
import { HandClock } from '../test-support/hand-clock';
import { decodeFrames } from './test-support/harness';
import { WRITE_BUFFER_LIMIT } from './writer';

/** The server's end: writes go to the peer, or, while stalled, wait in this side's writable buffer. */
class StallableSide extends PairSide {
  stalled = false;
  private held: { chunk: Buffer; callback: (error?: Error | null) => void }[] = [];

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.stalled) this.held.push({ chunk, callback });
    else super._write(chunk, encoding, callback);
  }

  /** The peer reads again: everything held is delivered, and the buffer drains. */
  unstall(): void {
    this.stalled = false;
    const held = this.held;
    this.held = [];
    for (const { chunk, callback } of held) super._write(chunk, 'binary', callback);
  }
}

const BODY = Buffer.alloc(8 * 1024, 0x61);
const lines: Record<string, unknown>[] = [];

interface Setup {
  client: PairSide;
  server: StallableSide;
  received: Buffer[];
  connection: Connection;
  store: MemoryStore;
  /** The connection's clock: the send timeout moves only with it. */
  clock: HandClock;
}

function setup(sendTimeoutMs = 15_000): Setup {
  const store = new MemoryStore();
  const access = new AccessControl(store, new Set());
  access.putUser({ name: 'guest', passwordHash: hashPassword('guest'), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags: [] });
  const vhosts = new VhostRegistry(store);
  vhosts.put({ name: '/', description: '', tags: [] });
  access.setPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
  const logger = createLogger({ level: 'warn' });
  jest.spyOn(logger, 'warn').mockImplementation(((obj: Record<string, unknown>, msg: string) => void lines.push({ ...obj, msg })) as never);
  const clock = new HandClock();
  const context: ConnectionContext = {
    limits: { frameMax: 131072, channelMax: 2047, heartbeat: 0, sendTimeoutMs },
    clock,
    logger: logger as never,
    serverProperties: {},
    access,
    stats: new MessageStats(),
    vhost: (name) => vhosts.get(name),
    connectionCount: () => 0,
    channelCount: () => 0,
    connectionClosed: () => {},
  };
  const client = new PairSide();
  const server = new StallableSide('127.0.0.1', 40000);
  client.peer = server;
  server.peer = client;
  const received: Buffer[] = [];
  client.on('data', (chunk: Buffer) => received.push(Buffer.from(chunk)));
  const connection = new Connection(server, context);
  return { client, server, received, connection, store, clock };
}

/** Waits, turn by turn, until `n` replies named `method` have arrived. */
async function untilCount(received: Buffer[], method: string, n: number): Promise<void> {
  await eventually(() => count(received, method) >= n, 5000, `${n} ${method}`);
}

/** Waits until the connection stopped handling input because its output is over the limit (the send watch armed). */
async function untilHeld(connection: Connection): Promise<void> {
  await eventually(() => connection.inputHeld, 5000, 'input held');
  await nextTurn(); // the held input's own check (setImmediate) has run
}

async function open(client: PairSide, received: Buffer[]): Promise<void> {
  client.write(
    Buffer.concat([
      PROTOCOL_HEADER,
      encodeMethodFrame(0, MethodId.ConnectionStartOk, { clientProperties: {}, mechanism: 'PLAIN', response: Buffer.from('\0guest\0guest'), locale: 'en_US' }),
      encodeMethodFrame(0, MethodId.ConnectionTuneOk, { channelMax: 2047, frameMax: 131072, heartbeat: 0 }),
      encodeMethodFrame(0, MethodId.ConnectionOpen, { virtualHost: '/', capabilities: '', insist: false }),
      encodeMethodFrame(1, MethodId.ChannelOpen, {}),
      encodeMethodFrame(1, MethodId.QueueDeclare, { queue: 'q', passive: false, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: {} }),
    ]),
  );
  await untilCount(received, 'queue.declare-ok', 1);
}

function publish(routingKey: string, mandatory = false): Buffer {
  return Buffer.concat([
    encodeMethodFrame(1, MethodId.BasicPublish, { exchange: '', routingKey, mandatory, immediate: false }),
    encodeHeaderFrame(1, ClassId.Basic, BODY.length, encodeBasicProperties({})),
    encodeBodyFrame(1, BODY, 0, BODY.length),
  ]);
}

function count(received: Buffer[], method: string): number {
  return decodeFrames(Buffer.concat(received)).filter((f) => f.method === method).length;
}

afterEach(() => {
  jest.restoreAllMocks();
  lines.length = 0;
});

/** The most the connection may hold queued: the limit, plus the reply that crossed it (one message). */
const BOUND = WRITE_BUFFER_LIMIT + BODY.length + 1024;

test('basic.get + basic.recover from a client that does not read: output stays bounded, and every request is answered once it reads', async () => {
  const { client, server, received, connection } = setup();
  await open(client, received);
  client.write(publish('q'));
  await eventually(() => connection.vhost.queueOrDie('q').messageCount === 1, 5000, 'the message in q');
  server.stalled = true;
  const cycles = 2000; // 16 MB of replies if nothing held them back
  const cycle = Buffer.concat([
    encodeMethodFrame(1, MethodId.BasicGet, { queue: 'q', noAck: false }),
    encodeMethodFrame(1, MethodId.BasicRecover, { requeue: true }),
  ]);
  client.write(Buffer.concat(Array.from({ length: cycles }, () => cycle)));
  await untilHeld(connection);
  expect(server.writableLength).toBeGreaterThan(WRITE_BUFFER_LIMIT);
  expect(server.writableLength).toBeLessThanOrEqual(BOUND);
  const before = count(received, 'basic.get-ok');
  server.unstall();
  await untilCount(received, 'basic.recover-ok', cycles);
  expect(count(received, 'basic.get-ok') - before).toBeLessThanOrEqual(cycles);
  expect(count(received, 'basic.get-ok')).toBe(cycles);
  expect(count(received, 'basic.recover-ok')).toBe(cycles);
});

test('unroutable mandatory publishes to a client that does not read: returns count against the same limit', async () => {
  const { client, server, received, connection } = setup();
  await open(client, received);
  server.stalled = true;
  const publishes = 1000; // 8 MB of basic.return
  client.write(Buffer.concat(Array.from({ length: publishes }, () => publish('nowhere', true))));
  await untilHeld(connection);
  expect(server.writableLength).toBeLessThanOrEqual(BOUND);
  server.unstall();
  await untilCount(received, 'basic.return', publishes);
  expect(count(received, 'basic.return')).toBe(publishes);
});

test('a client that takes nothing for the send timeout is disconnected with one log line', async () => {
  const { client, server, received, connection, clock } = setup(50);
  await open(client, received);
  client.write(publish('q'));
  await eventually(() => connection.vhost.queueOrDie('q').messageCount === 1, 5000, 'the message in q');
  server.stalled = true;
  const cycle = Buffer.concat([
    encodeMethodFrame(1, MethodId.BasicGet, { queue: 'q', noAck: false }),
    encodeMethodFrame(1, MethodId.BasicRecover, { requeue: true }),
  ]);
  client.write(Buffer.concat(Array.from({ length: 500 }, () => cycle)));
  await untilHeld(connection);
  clock.advance(49);
  expect(server.destroyed).toBe(false);
  clock.advance(1);
  expect(server.destroyed).toBe(true);
  expect(lines.filter((l) => l.msg === 'closing connection: the client has not read its socket')).toHaveLength(1);
});

test('a client that reads slowly is not disconnected: progress restarts the send timeout', async () => {
  const { client, server, received, connection, clock } = setup(60);
  await open(client, received);
  client.write(publish('q'));
  await eventually(() => connection.vhost.queueOrDie('q').messageCount === 1, 5000, 'the message in q');
  server.stalled = true;
  const cycle = Buffer.concat([
    encodeMethodFrame(1, MethodId.BasicGet, { queue: 'q', noAck: false }),
    encodeMethodFrame(1, MethodId.BasicRecover, { requeue: true }),
  ]);
  client.write(Buffer.concat(Array.from({ length: 300 }, () => cycle)));
  await untilHeld(connection);
  // Every 40 ms the peer takes one queued write, then stalls again: never 60 ms without progress.
  for (let i = 0; i < 5; i++) {
    clock.advance(40);
    expect(server.destroyed).toBe(false);
    const held = (server as unknown as { held: { chunk: Buffer; callback: () => void }[] }).held;
    const first = held.shift();
    if (first !== undefined) first.callback();
  }
  expect(server.destroyed).toBe(false);
  server.unstall();
});
