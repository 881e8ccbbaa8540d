/**
 * The load of one crash-soak round, run until the broker is killed under it: publishers in confirm mode on several
 * connections, each spreading persistent messages over four durable queues (a plain FIFO queue; one whose messages
 * carry a per-message TTL of an hour, which never expires within a round; a priority queue; and one fed through an
 * x-delayed-message exchange with delays of 20-300 ms), and one consumer per queue on its own connection that acks
 * most of what it receives and holds some unacked. Everything the clients learn goes into the round's Ledger.
 */
import type * as amqp from 'amqplib';
import { channel, confirmChannel, connect, delay, withTimeout } from '../support/broker';
import type { Rng } from '../../src/protocol/test-support/random';
import { Ledger, type QueueKind } from './ledger';

export const SOAK_QUEUES: ReadonlyArray<{ name: string; kind: QueueKind }> = [
  { name: 'soak.fifo', kind: 'fifo' },
  { name: 'soak.ttl', kind: 'ttl' },
  { name: 'soak.priority', kind: 'priority' },
  { name: 'soak.delayed', kind: 'delayed' },
];
const DELAYED_EXCHANGE = 'soak.delayed.x';
const MAX_PRIORITY = 5;
const TTL_MS = '3600000';
const PUBLISHERS = 3;
const MAX_IN_FLIGHT = 64;
const PREFETCH = 100;
/** Unacked messages a consumer holds at most (so its prefetch never fills with them). */
const MAX_HELD = 40;
const HOLD_CHANCE = 0.2;
/** Per publisher per round: far above what a round's few seconds produce; keeps a runaway round bounded. */
const MAX_PER_PUBLISHER = 100_000;
const BARRIER_INTERVAL_MS = 20;
const BODY_PAD = 256;

/** Declares the soak's queues and exchange (idempotent: every round and every restart calls it). */
export async function declareTopology(url: string): Promise<void> {
  const conn = await connect(url);
  try {
    const ch = await channel(conn);
    await ch.assertExchange(DELAYED_EXCHANGE, 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    for (const q of SOAK_QUEUES) {
      await ch.assertQueue(q.name, { durable: true, arguments: q.kind === 'priority' ? { 'x-max-priority': MAX_PRIORITY } : {} });
    }
    await ch.bindQueue('soak.delayed', DELAYED_EXCHANGE, 'soak.delayed');
  } finally {
    await conn.close();
  }
}

export function bodyOf(id: string): Buffer {
  return Buffer.from(id.padEnd(BODY_PAD, '.'));
}

export function idOf(content: Buffer): string {
  return content.toString('latin1').replace(/\.+$/, '');
}

/**
 * Runs the load, calls `kill` after killAfterMs, and returns once every client connection noticed the broker's
 * death (so every confirm and delivery the sockets held has been read).
 */
export async function loadUntilKilled(url: string, ledger: Ledger, rng: Rng, killAfterMs: number, kill: () => Promise<void>): Promise<void> {
  await declareTopology(url);
  const conns: amqp.ChannelModel[] = [];
  let dead = false;

  const publishers: amqp.ConfirmChannel[] = [];
  for (let p = 0; p < PUBLISHERS; p++) {
    const conn = await connect(url);
    conns.push(conn);
    publishers.push(await confirmChannel(conn));
  }
  const consumers: Array<{ ch: amqp.Channel; queue: string; pending: string[] }> = [];
  for (const q of SOAK_QUEUES) {
    const conn = await connect(url);
    conns.push(conn);
    const ch = await channel(conn);
    await ch.prefetch(PREFETCH);
    consumers.push({ ch, queue: q.name, pending: [] });
  }
  const closed = conns.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())));

  for (const c of consumers) {
    let held = 0;
    await c.ch.consume(
      c.queue,
      (msg: amqp.ConsumeMessage | null) => {
        if (msg === null || dead) return;
        const id = idOf(msg.content);
        ledger.deliver(id);
        if (held < MAX_HELD && rng.next() < HOLD_CHANCE) {
          held++;
          return; // held unacked until the kill
        }
        c.ch.ack(msg);
        ledger.ack(id);
        c.pending.push(id);
      },
      { noAck: false },
    );
  }

  const pumps = publishers.map((ch, p) => {
    let next = 0;
    let inFlight = 0;
    let scheduled = false;
    const pump = (): void => {
      scheduled = false;
      while (!dead && inFlight < MAX_IN_FLIGHT && next < MAX_PER_PUBLISHER) {
        const q = SOAK_QUEUES[rng.int(SOAK_QUEUES.length)]!;
        const priority = q.kind === 'priority' ? rng.int(MAX_PRIORITY + 1) : 0;
        const id = ledger.publish(q.name, q.kind, p, next, priority);
        const options: amqp.Options.Publish = { persistent: true };
        if (q.kind === 'ttl') options.expiration = TTL_MS;
        if (q.kind === 'priority') options.priority = priority;
        if (q.kind === 'delayed') options.headers = { 'x-delay': 20 + rng.int(280) };
        try {
          ch.publish(q.kind === 'delayed' ? DELAYED_EXCHANGE : '', q.name, bodyOf(id), options, (err) => {
            inFlight--;
            if (err === null || err === undefined) ledger.confirm(id);
            if (!dead && !scheduled) {
              scheduled = true;
              setImmediate(pump);
            }
          });
        } catch {
          return; // the channel closed: the broker is gone
        }
        next++;
        inFlight++;
      }
    };
    return pump;
  });

  const barrierLoop = async (c: (typeof consumers)[number]): Promise<void> => {
    while (!dead) {
      await delay(BARRIER_INTERVAL_MS);
      const ids = c.pending;
      c.pending = [];
      try {
        await c.ch.checkQueue(c.queue);
      } catch {
        return; // the broker is gone
      }
      ledger.acksHandled(ids);
    }
  };

  for (const pump of pumps) pump();
  const barriers = consumers.map(barrierLoop);
  await delay(killAfterMs);
  await kill();
  await withTimeout(Promise.all(closed), 10_000, 'clients to notice the kill');
  dead = true;
  await Promise.all(barriers);
}

/**
 * Takes everything in the soak's queues on a restarted broker (no-ack, in delivery order), after the delayed
 * messages that fell due while it was down have been routed. Returns the ids and redelivered flags per queue.
 */
export async function takeEverything(url: string): Promise<Map<string, Array<{ id: string; redelivered: boolean }>>> {
  await declareTopology(url);
  const conn = await connect(url);
  try {
    const ch = await channel(conn);
    // Every delay is under 300 ms and a restart takes longer, so what was held is due: the scheduler routes it in
    // its first turns. Wait until the delayed queue's count stops moving.
    let before = -1;
    for (let i = 0; i < 50; i++) {
      await delay(150);
      const { messageCount } = await ch.checkQueue('soak.delayed');
      if (messageCount === before) break;
      before = messageCount;
    }
    const out = new Map<string, Array<{ id: string; redelivered: boolean }>>();
    for (const q of SOAK_QUEUES) out.set(q.name, await takeQueue(ch, q.name));
    return out;
  } finally {
    await conn.close();
  }
}

async function takeQueue(ch: amqp.Channel, queue: string): Promise<Array<{ id: string; redelivered: boolean }>> {
  const { messageCount } = await ch.checkQueue(queue);
  const got: Array<{ id: string; redelivered: boolean }> = [];
  if (messageCount === 0) return got;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const { consumerTag } = await ch.consume(
    queue,
    (msg) => {
      if (msg === null) return;
      got.push({ id: idOf(msg.content), redelivered: msg.fields.redelivered });
      if (got.length >= messageCount) resolveAll();
    },
    { noAck: true },
  );
  await withTimeout(all, 20_000, `${messageCount} messages from ${queue} (got ${got.length})`);
  await ch.cancel(consumerTag);
  // Anything beyond the count the queue gave would be a duplicate: basic.get finds it.
  for (;;) {
    const extra = await ch.get(queue, { noAck: true });
    if (extra === false) break;
    got.push({ id: idOf(extra.content), redelivered: extra.fields.redelivered });
  }
  return got;
}
