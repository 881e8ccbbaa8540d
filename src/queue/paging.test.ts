/**
 * Paging of durable queues: only WINDOW stored entries are held in memory, the rest (the tail) is loaded from the
 * store in seq order as the head drains, transient entries that arrive meanwhile keep their place, and a queue
 * rebuilt on the same store (a restart) comes back with the same entries, delivered ones marked redelivered.
 *
 * Most cases run against both stores: MemoryStore, and SqliteStore on a temp dir (closed and reopened to restart).
 */
import { MemoryStore } from '../store/memory';
import { RESTARTABLE_STORES, type RestartableStore } from '../store/test-support/restartable';
import type { Store } from '../store/store';
import { DEFAULT_SETTINGS } from './arguments';
import type { Message, QueueEntry } from './message';
import { WINDOW } from './paging';
import { Queue } from './queue';
import type { QueueOptions } from './queue-options';
import { FakeConsumer } from './test-support/fake-consumer';
import { nextTurn } from '../test-support/eventually';

/** More than three windows, and not a multiple of anything the queue uses. */
const MANY = 3 * WINDOW + 17;


const OPTIONS: QueueOptions = { vhost: '/', name: 'q', durable: true, autoDelete: false, exclusiveOwner: null, arguments: {} };

/** A durable queue on `store`, registering it there first unless queueId is given. */
function durableQueue(store: Store, queueId?: number): { queue: Queue; queueId: number } {
  const id = queueId ?? store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
  return { queue: new Queue(OPTIONS, { unused: () => {} }, { store, queueId: id }), queueId: id };
}

function message(body: string, persistent: boolean): Message {
  return { id: 0, persistent, exchange: 'x', routingKey: 'rk', properties: Buffer.from([0, 0]), body: Buffer.from(body), expiration: -1, headers: undefined };
}

function publish(queue: Queue, bodies: readonly string[], persistent = true): void {
  for (const body of bodies) queue.enqueue(message(body, persistent));
}

function names(prefix: string, count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);
}

/** Entries the queue holds in memory (ready list); the tail and the transient overflow are not counted. */
function held(queue: Queue): number {
  return queue.pager.readyLength;
}

/** Takes until empty; returns the entries and the most entries held in memory before any take. */
function takeEverything(queue: Queue, noAck: boolean): { entries: QueueEntry[]; maxHeld: number } {
  const entries: QueueEntry[] = [];
  let maxHeld = held(queue);
  for (let e = queue.take(noAck); e !== undefined; e = queue.take(noAck)) {
    entries.push(e);
    maxHeld = Math.max(maxHeld, held(queue));
  }
  return { entries, maxHeld };
}

function bodies(entries: readonly QueueEntry[]): string[] {
  return entries.map((e) => e.message.body.toString());
}

async function until(condition: () => boolean, turns = 200): Promise<void> {
  for (let i = 0; i < turns && !condition(); i++) await nextTurn();
}

describe.each(RESTARTABLE_STORES)('durable queue paging on %s', (_name, make) => {
  let fx: RestartableStore;
  beforeEach(() => {
    fx = make('leveret-paging-');
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  test('many persistent messages: counted in full, only a window held, nothing loaded back yet', () => {
    const { queue, queueId } = durableQueue(fx.store);
    const loads = jest.spyOn(fx.store, 'loadEntries');
    publish(queue, names('m', MANY));
    expect(queue.messageCount).toBe(MANY);
    expect(held(queue)).toBe(WINDOW);
    expect(loads).not.toHaveBeenCalled();
    expect(fx.store.queueStats(queueId).messages).toBe(MANY);
  });

  test('take(noAck) returns every message in publish order across refills and empties the store', () => {
    const { queue, queueId } = durableQueue(fx.store);
    publish(queue, names('m', MANY));
    const loads = jest.spyOn(fx.store, 'loadEntries');
    const { entries, maxHeld } = takeEverything(queue, true);
    expect(bodies(entries)).toEqual(names('m', MANY));
    expect(entries.every((e) => !e.redelivered && e.message.persistent)).toBe(true);
    expect(maxHeld).toBeLessThanOrEqual(WINDOW);
    // The tail (MANY - WINDOW entries) comes back in several loads, never all at once.
    expect(loads.mock.calls.length).toBeGreaterThanOrEqual(3);
    for (const [, , limit] of loads.mock.calls) expect(limit).toBeLessThanOrEqual(WINDOW);
    expect(queue.messageCount).toBe(0);
    expect(fx.store.queueStats(queueId).messages).toBe(0);
  });

  test('the next stored entries are loaded while half a window is still ready, not when the head runs dry', () => {
    const { queue } = durableQueue(fx.store);
    publish(queue, names('m', 2 * WINDOW));
    const loads = jest.spyOn(fx.store, 'loadEntries');
    for (let i = 0; i < WINDOW / 4; i++) queue.take(true);
    expect(loads).not.toHaveBeenCalled();
    for (let i = 0; i < WINDOW / 2; i++) queue.take(true);
    expect(loads).toHaveBeenCalledTimes(1);
    expect(held(queue)).toBeGreaterThan(WINDOW / 2);
    expect(held(queue)).toBeLessThanOrEqual(WINDOW);
  });

  test('a consumer attached to a paged queue gets everything in order, across refills, a window at a time', async () => {
    const { queue, queueId } = durableQueue(fx.store);
    publish(queue, names('m', MANY));
    const consumer = new FakeConsumer('c', 0, Infinity, { noAck: false });
    queue.addConsumer(consumer);
    await until(() => consumer.delivered.length === MANY);
    expect(bodies(consumer.delivered)).toEqual(names('m', MANY));
    const seqs = consumer.delivered.map((e) => e.seq);
    expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number))).toBe(true);
    expect(consumer.maxHeld).toBeLessThanOrEqual(WINDOW);
    expect(queue.messageCount).toBe(0);
    // Delivered but unacked: still stored until settled.
    expect(fx.store.queueStats(queueId).messages).toBe(MANY);
    for (const entry of consumer.delivered) queue.settle(entry);
    expect(fx.store.queueStats(queueId).messages).toBe(0);
  });

  test('a consumer with little capacity is fed across refills as it makes room', async () => {
    const { queue } = durableQueue(fx.store);
    publish(queue, names('m', 2 * WINDOW + 3));
    const consumer = new FakeConsumer('c', 0, 10);
    queue.addConsumer(consumer);
    const got: QueueEntry[] = [];
    for (let round = 0; round < 1000 && got.length < 2 * WINDOW + 3; round++) {
      await nextTurn();
      for (const entry of consumer.delivered.splice(0)) {
        got.push(entry);
        queue.settle(entry);
      }
      queue.scheduleDrain();
    }
    expect(bodies(got)).toEqual(names('m', 2 * WINDOW + 3));
  });

  test('x-max-length drop-head holds past the window: a message that goes to the stored tail still trims the head', () => {
    const id = fx.store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const dropped: string[] = [];
    const settings = { ...DEFAULT_SETTINGS, maxLength: WINDOW + 50, deadLetterExchange: 'dlx' };
    const hooks = { unused: () => {}, deadLetter: (_q: Queue, m: Message, _r: unknown, release?: () => void) => {
      dropped.push(m.body.toString());
      release?.();
    } };
    const queue = new Queue({ ...OPTIONS, settings }, hooks, { store: fx.store, queueId: id });
    publish(queue, names('m', WINDOW + 80));
    expect(queue.messageCount).toBe(WINDOW + 50);
    expect(fx.store.queueStats(id).messages).toBe(WINDOW + 50);
    expect(dropped).toEqual(names('m', 30));
    expect(bodies(takeEverything(queue, true).entries)).toEqual(names('m', WINDOW + 50, 30));
  });

  test('transient messages published while a tail exists keep global publish order', () => {
    const { queue } = durableQueue(fx.store);
    const order: string[] = [];
    const send = (body: string, persistent: boolean): void => {
      order.push(body);
      queue.enqueue(message(body, persistent));
    };
    for (let i = 0; i < WINDOW; i++) send(`p${i}`, true);
    // The window is full but there is no tail yet: a transient one still goes to memory, the next persistent
    // one starts the tail, and the transient ones after it wait in the overflow.
    send('t-edge', false);
    for (let i = WINDOW; i < MANY; i++) {
      send(`p${i}`, true);
      if (i % 3 === 0) send(`t${i}`, false);
      if (i % 1000 === 0) send(`t${i}b`, false);
    }
    send('t-last', false);
    expect(queue.messageCount).toBe(order.length);
    const { entries, maxHeld } = takeEverything(queue, true);
    expect(bodies(entries)).toEqual(order);
    expect(maxHeld).toBeLessThanOrEqual(WINDOW + 5 + Math.ceil(WINDOW / 3));
    expect(queue.messageCount).toBe(0);
  });

  test('a run of transient messages behind the tail comes out after it, in order, with a consumer', async () => {
    const { queue } = durableQueue(fx.store);
    publish(queue, names('p', WINDOW + 100));
    publish(queue, names('t', 50), false);
    publish(queue, names('p', 10, WINDOW + 100));
    const consumer = new FakeConsumer('c');
    queue.addConsumer(consumer);
    await until(() => consumer.delivered.length === WINDOW + 160);
    expect(bodies(consumer.delivered)).toEqual([...names('p', WINDOW + 100), ...names('t', 50), ...names('p', 10, WINDOW + 100)]);
  });

  test('requeue after a refill puts entries back at their original positions, redelivered', () => {
    const { queue } = durableQueue(fx.store);
    publish(queue, names('m', MANY));
    // Take past the first refill, unacked.
    const taken: QueueEntry[] = [];
    for (let i = 0; i < WINDOW + 100; i++) taken.push(queue.take(false) as QueueEntry);
    expect(bodies(taken)).toEqual(names('m', WINDOW + 100));
    expect(queue.messageCount).toBe(MANY - WINDOW - 100);
    // Requeue a few out of order, in two calls, keep the rest unacked. The second call has entries on both sides
    // of the new head (m7).
    queue.requeue([taken[WINDOW + 1], taken[7]] as QueueEntry[]);
    queue.requeue([taken[WINDOW + 99], taken[0]] as QueueEntry[]);
    expect(queue.messageCount).toBe(MANY - WINDOW - 96);
    const { entries } = takeEverything(queue, true);
    expect(bodies(entries)).toEqual(['m0', 'm7', `m${WINDOW + 1}`, `m${WINDOW + 99}`, ...names('m', MANY - WINDOW - 100, WINDOW + 100)]);
    expect(entries.slice(0, 4).every((e) => e.redelivered)).toBe(true);
    expect(entries.slice(4).some((e) => e.redelivered)).toBe(false);
  });

  test('requeueing everything taken restores the whole queue in order', () => {
    const { queue } = durableQueue(fx.store);
    publish(queue, names('m', 2 * WINDOW + 5));
    const taken: QueueEntry[] = [];
    for (let i = 0; i < WINDOW + WINDOW / 2; i++) taken.push(queue.take(false) as QueueEntry);
    queue.requeue(taken.reverse());
    expect(queue.messageCount).toBe(2 * WINDOW + 5);
    expect(bodies(takeEverything(queue, true).entries)).toEqual(names('m', 2 * WINDOW + 5));
  });

  test('purge empties memory, tail, overflow and store; later messages stand alone', () => {
    const { queue, queueId } = durableQueue(fx.store);
    publish(queue, names('p', MANY));
    publish(queue, names('t', 5), false);
    expect(queue.purge()).toBe(MANY + 5);
    expect(queue.messageCount).toBe(0);
    expect(held(queue)).toBe(0);
    expect(fx.store.queueStats(queueId).messages).toBe(0);
    expect(fx.store.loadEntries(queueId, 0, MANY)).toEqual([]);
    expect(queue.take(true)).toBeUndefined();
    publish(queue, ['after']);
    publish(queue, ['after-t'], false);
    expect(bodies(takeEverything(queue, true).entries)).toEqual(['after', 'after-t']);
  });

  test('purge also drops the stored copies of unacked deliveries (documented deviation, spec/errata.md)', () => {
    const { queue, queueId } = durableQueue(fx.store);
    publish(queue, ['a', 'b', 'c']);
    const a = queue.take(false) as QueueEntry;
    expect(queue.purge()).toBe(2);
    expect(fx.store.queueStats(queueId).messages).toBe(0);
    // Still ackable and requeueable in memory.
    queue.requeue([a]);
    expect(queue.messageCount).toBe(1);
    const restarted = fx.restart();
    const { queue: again } = durableQueue(restarted, queueId);
    again.recover(restarted.queueStats(queueId));
    expect(again.messageCount).toBe(0);
  });

  test('take(noAck) removes the entry from the store; take(ack) writes nothing; a requeue marks it delivered there', () => {
    const { queue, queueId } = durableQueue(fx.store);
    publish(queue, ['a', 'b', 'c']);
    const a = queue.take(true) as QueueEntry;
    expect(fx.store.queueStats(queueId).messages).toBe(2);
    const b = queue.take(false) as QueueEntry;
    expect(fx.store.queueStats(queueId).messages).toBe(2);
    const flags = (): [string, boolean][] => fx.store.loadEntries(queueId, 0, 10).map((e) => [e.message.body.toString(), e.redelivered]);
    expect(flags()).toEqual([
      ['b', false],
      ['c', false],
    ]);
    expect(fx.store.loadEntries(queueId, 0, 10).map((e) => e.seq)).toEqual([b.seq, b.seq + 1]);
    expect(a.seq).toBeLessThan(b.seq);
    queue.requeue([b]);
    expect(flags()).toEqual([
      ['b', true],
      ['c', false],
    ]);
    const again = queue.take(false) as QueueEntry;
    expect(again.seq).toBe(b.seq);
    queue.requeue([again]); // already marked: no second write
    queue.settle(queue.take(false) as QueueEntry);
    expect(fx.store.queueStats(queueId).messages).toBe(1);
  });

  test('a transient message in a durable queue never reaches the store', () => {
    const { queue, queueId } = durableQueue(fx.store);
    const enqueue = jest.spyOn(fx.store, 'enqueue');
    publish(queue, ['t'], false);
    expect(enqueue).not.toHaveBeenCalled();
    expect(fx.store.queueStats(queueId).messages).toBe(0);
    const t = queue.take(false) as QueueEntry;
    expect(t.message.id).toBe(0);
    queue.settle(t);
    expect(queue.messageCount).toBe(0);
  });

  test('recover() on a new Queue: count, order, redelivered flags, settled ones gone, transient ones gone', () => {
    const first = durableQueue(fx.store);
    const { queueId } = first;
    const total = 2 * WINDOW + 9;
    publish(first.queue, names('m', total));
    publish(first.queue, ['transient'], false);
    const m0 = first.queue.take(false) as QueueEntry; // unacked at the (clean) restart -> redelivered
    const m1 = first.queue.take(false) as QueueEntry; // acked -> gone
    first.queue.take(true); // m2: noAck -> gone
    const m3 = first.queue.take(false) as QueueEntry; // rejected without requeue -> gone
    const m4 = first.queue.take(false) as QueueEntry; // unacked, requeued before the restart -> redelivered
    first.queue.settle(m1);
    first.queue.settle(m3);
    first.queue.requeue([m4]);
    first.queue.requeue([m0]); // what a clean stop does to every unacked delivery before the store closes
    expect([m0, m1, m3, m4].map((e) => e.message.body.toString())).toEqual(['m0', 'm1', 'm3', 'm4']);

    const store = fx.restart();
    const loads = jest.spyOn(store, 'loadEntries');
    const { queue } = durableQueue(store, queueId);
    queue.recover(store.queueStats(queueId));
    expect(queue.messageCount).toBe(total - 3);
    expect(held(queue)).toBeLessThanOrEqual(WINDOW);
    expect(loads).toHaveBeenCalledTimes(1);

    const { entries, maxHeld } = takeEverything(queue, false);
    expect(maxHeld).toBeLessThanOrEqual(WINDOW);
    expect(bodies(entries)).toEqual(['m0', ...names('m', total - 4, 4)]);
    expect(entries.filter((e) => e.redelivered).map((e) => e.message.body.toString())).toEqual(['m0', 'm4']);
    expect(entries.every((e) => e.message.persistent && e.message.id !== 0)).toBe(true);
    expect(entries[0]?.message.exchange).toBe('x');
    expect(entries[0]?.message.routingKey).toBe('rk');
  });

  test('after recover(), new messages get later seqs and queue behind the recovered tail', () => {
    const first = durableQueue(fx.store);
    const { queueId } = first;
    publish(first.queue, names('old', WINDOW + 10));
    const last = first.queue.take(false) as QueueEntry;
    first.queue.settle(last);

    const store = fx.restart();
    const { queue } = durableQueue(store, queueId);
    queue.recover(store.queueStats(queueId));
    publish(queue, names('new', 3));
    publish(queue, ['new-t'], false);
    const { entries } = takeEverything(queue, true);
    expect(bodies(entries)).toEqual([...names('old', WINDOW + 9, 1), ...names('new', 3), 'new-t']);
    const seqs = entries.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number))).toBe(true);
    expect(store.queueStats(queueId).messages).toBe(0);
  });

  test('recover() of an empty queue leaves it empty and usable', () => {
    const first = durableQueue(fx.store);
    publish(first.queue, ['a']);
    first.queue.take(true);
    const store = fx.restart();
    const { queue } = durableQueue(store, first.queueId);
    queue.recover(store.queueStats(first.queueId));
    expect(queue.messageCount).toBe(0);
    expect(queue.take(true)).toBeUndefined();
    publish(queue, ['b']);
    expect(bodies(takeEverything(queue, true).entries)).toEqual(['b']);
  });
});

describe('durable queue paging: one message in several durable queues', () => {
  test('each queue pages its own entries; the body is stored once and released by the last queue', () => {
    const store = new MemoryStore();
    const a = durableQueue(store);
    const bId = store.putQueue({ vhost: '/', name: 'q2', durable: true, autoDelete: false, arguments: {} });
    const b = durableQueue(store, bId);
    for (const body of names('m', WINDOW + 50)) {
      const m = message(body, true);
      a.queue.enqueue(m);
      b.queue.enqueue(m);
    }
    expect(store.messageCount()).toBe(WINDOW + 50);
    expect(bodies(takeEverything(a.queue, true).entries)).toEqual(names('m', WINDOW + 50));
    expect(store.messageCount()).toBe(WINDOW + 50);
    expect(bodies(takeEverything(b.queue, true).entries)).toEqual(names('m', WINDOW + 50));
    expect(store.messageCount()).toBe(0);
  });
});
