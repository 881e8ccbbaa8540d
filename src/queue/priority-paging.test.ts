/**
 * Paging of durable priority queues (x-max-priority): each priority level pages from the store on its own, the
 * window bounds all levels together, and delivery order is what it is in memory: the highest priority first, publish
 * order within one. Transient messages keep their place, redeliveries go back to theirs, TTL and x-max-length act
 * on stored entries too, and a queue rebuilt on the same store (a restart) delivers in the same order.
 *
 * Every case runs against both stores: MemoryStore, and SqliteStore on a temp dir (closed and reopened to restart).
 */
import { RESTARTABLE_STORES, type RestartableStore } from '../store/test-support/restartable';
import type { Store } from '../store/store';
import { DEFAULT_SETTINGS, type QueueSettings } from './arguments';
import type { DeathReason } from './dead-letter';
import type { Message, QueueEntry } from './message';
import { WINDOW } from './paging';
import { Queue } from './queue';
import type { QueueHooks } from './queue-options';

const MAX_PRIORITY = 9;
/** The most entries a priority queue holds in memory (the window, plus one refill of the level being delivered). */
const MOST_HELD = WINDOW + WINDOW / 2;
/** Several windows, spread over the levels, not a multiple of anything the queue uses. */
const MANY = 3 * WINDOW + 17;

/** The priority property alone: property flags with bit 11, then the octet. */
function priorityProperties(priority: number): Buffer {
  return Buffer.from([0x08, 0x00, priority]);
}

function message(body: string, priority: number, persistent = true): Message {
  return {
    id: 0,
    persistent,
    exchange: 'x',
    routingKey: 'rk',
    properties: priorityProperties(priority),
    body: Buffer.from(body),
    expiration: -1,
    headers: undefined,
  };
}

interface Published {
  readonly body: string;
  readonly priority: number;
}

/** Delivery order as the queue promises it: by priority, highest first, then by publish order. */
function expectedOrder(published: readonly Published[]): string[] {
  return published
    .map((p, i) => ({ ...p, i }))
    .sort((a, b) => b.priority - a.priority || a.i - b.i)
    .map((p) => p.body);
}

function bodies(entries: readonly QueueEntry[]): string[] {
  return entries.map((e) => e.message.body.toString());
}

describe.each(RESTARTABLE_STORES)('durable priority queue paging on %s', (_name, make) => {
  let fx: RestartableStore;
  let dead: { body: string; reason: DeathReason }[];
  beforeEach(() => {
    fx = make('leveret-priority-paging-');
    dead = [];
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const hooks: QueueHooks = {
    unused: () => {},
    deadLetter: (_queue, m, reason, release) => {
      dead.push({ body: m.body.toString(), reason });
      release?.();
    },
  };

  function priorityQueue(store: Store, settings: Partial<QueueSettings> = {}, queueId?: number): { queue: Queue; queueId: number } {
    const args = { 'x-max-priority': MAX_PRIORITY };
    const id = queueId ?? store.putQueue({ vhost: '/', name: 'pq', durable: true, autoDelete: false, arguments: args });
    const options = {
      vhost: '/',
      name: 'pq',
      durable: true,
      autoDelete: false,
      exclusiveOwner: null,
      arguments: args,
      settings: { ...DEFAULT_SETTINGS, maxPriority: MAX_PRIORITY, deadLetterExchange: 'dlx', ...settings },
    };
    return { queue: new Queue(options, hooks, { store, queueId: id }), queueId: id };
  }

  /** Publishes `count` persistent messages, priorities cycling over 0..MAX_PRIORITY in a scrambled order. */
  function publishMany(queue: Queue, count: number, prefix = 'm'): Published[] {
    const published: Published[] = [];
    for (let i = 0; i < count; i++) {
      const p = { body: `${prefix}${i}`, priority: (i * 7) % (MAX_PRIORITY + 1) };
      published.push(p);
      queue.enqueue(message(p.body, p.priority));
    }
    return published;
  }

  function takeAll(queue: Queue, noAck = true): { entries: QueueEntry[]; maxHeld: number } {
    const entries: QueueEntry[] = [];
    let maxHeld = queue.pager.readyLength;
    for (let e = queue.take(noAck); e !== undefined; e = queue.take(noAck)) {
      entries.push(e);
      maxHeld = Math.max(maxHeld, queue.pager.readyLength);
    }
    return { entries, maxHeld };
  }

  test('a backlog of many windows is counted in full but only a window is held; it comes out in priority order', () => {
    const { queue, queueId } = priorityQueue(fx.store);
    const published = publishMany(queue, MANY);
    expect(queue.messageCount).toBe(MANY);
    expect(queue.pager.readyLength).toBe(WINDOW);
    expect(queue.pagedOut).toBe(MANY - WINDOW);
    expect(queue.tailBytes).toBeGreaterThan(0);
    const loads = jest.spyOn(fx.store, 'loadEntries');
    const { entries, maxHeld } = takeAll(queue);
    expect(bodies(entries)).toEqual(expectedOrder(published));
    expect(maxHeld).toBeLessThanOrEqual(MOST_HELD);
    // Each read names one level and asks for at most a window.
    for (const [, , limit, level] of loads.mock.calls) {
      expect(limit).toBeLessThanOrEqual(WINDOW);
      expect(level).toBeGreaterThanOrEqual(0);
    }
    expect(queue.messageCount).toBe(0);
    expect(queue.readyBytes).toBe(0);
    expect(queue.tailBytes).toBe(0);
    expect(fx.store.queueStats(queueId).messages).toBe(0);
  });

  test('a higher priority published after the window filled is delivered first, and headMessage shows it', () => {
    const { queue } = priorityQueue(fx.store);
    for (let i = 0; i < WINDOW + 10; i++) queue.enqueue(message(`low${i}`, 0));
    queue.enqueue(message('urgent', MAX_PRIORITY));
    expect(queue.pager.readyLength).toBe(WINDOW);
    expect(queue.headMessage?.body.toString()).toBe('urgent');
    expect(bodies([queue.take(true) as QueueEntry])).toEqual(['urgent']);
    expect(bodies([queue.take(true) as QueueEntry])).toEqual(['low0']);
  });

  test('transient messages keep their place within their level, behind or among stored ones', () => {
    const { queue } = priorityQueue(fx.store);
    const published: Published[] = [];
    for (let i = 0; i < 2 * WINDOW; i++) {
      const priority = i % 3 === 0 ? 5 : 2;
      const persistent = i % 5 !== 0;
      const body = `${persistent ? 'p' : 't'}${i}`;
      published.push({ body, priority });
      queue.enqueue(message(body, priority, persistent));
    }
    expect(queue.messageCount).toBe(published.length);
    const { entries } = takeAll(queue);
    expect(bodies(entries)).toEqual(expectedOrder(published));
  });

  test('a consumer gets everything in priority order; requeued entries go back to their places, redelivered', async () => {
    const { queue } = priorityQueue(fx.store);
    const published = publishMany(queue, 2 * WINDOW + 5);
    const delivered: QueueEntry[] = [];
    const consumer = {
      tag: 'c',
      priority: 0,
      noAck: false,
      exclusive: false,
      canAccept: () => delivered.length < 100,
      deliver: (_q: Queue, entry: QueueEntry) => {
        delivered.push(entry);
      },
      cancelledByBroker: () => {},
    };
    queue.addConsumer(consumer);
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toHaveLength(100);
    const order = expectedOrder(published);
    expect(bodies(delivered)).toEqual(order.slice(0, 100));
    queue.removeConsumer(consumer);
    // The first 50 come back: they are delivered again before the rest, in their places.
    queue.requeue(delivered.slice(0, 50));
    for (const entry of delivered.slice(50)) queue.settle(entry);
    const { entries } = takeAll(queue, true);
    expect(bodies(entries)).toEqual([...order.slice(0, 50), ...order.slice(100)]);
    expect(entries.slice(0, 50).every((e) => e.redelivered)).toBe(true);
    expect(entries.slice(50).some((e) => e.redelivered)).toBe(false);
  });

  test('a restart brings the backlog back in priority order, delivered-but-unacked ones redelivered', async () => {
    const { queue, queueId } = priorityQueue(fx.store);
    const published = publishMany(queue, MANY);
    const order = expectedOrder(published);
    const first = queue.take(false) as QueueEntry; // delivered, never acked
    expect(first.message.body.toString()).toBe(order[0]);
    queue.requeue([first]); // what a clean stop does to every unacked delivery before the store closes
    await fx.store.flush();
    const store = fx.restart();
    const again = priorityQueue(store, {}, queueId).queue;
    again.recover(store.queueStats(queueId));
    expect(again.messageCount).toBe(MANY);
    expect(again.pager.readyLength).toBeLessThanOrEqual(MOST_HELD);
    const { entries, maxHeld } = takeAll(again);
    expect(bodies(entries)).toEqual(order);
    expect(entries[0]?.redelivered).toBe(true);
    expect(entries.slice(1).some((e) => e.redelivered)).toBe(false);
    expect(maxHeld).toBeLessThanOrEqual(MOST_HELD);
  });

  test('expired entries in the stored tail of any level are dead-lettered without being delivered', () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['setImmediate'] });
    try {
      const { queue, queueId } = priorityQueue(fx.store);
      const kept = publishMany(queue, WINDOW, 'keep');
      // Past the window, into the tails of several levels: half of them expire in 100 ms.
      const expiring: string[] = [];
      for (let i = 0; i < 300; i++) {
        const m = message(`ttl${i}`, i % (MAX_PRIORITY + 1));
        if (i % 2 === 0) {
          (m as { expiration: number }).expiration = 100;
          expiring.push(m.body.toString());
        } else kept.push({ body: m.body.toString(), priority: i % (MAX_PRIORITY + 1) });
        queue.enqueue(m);
      }
      expect(queue.pagedOut).toBe(300);
      jest.advanceTimersByTime(150);
      expect(dead.map((d) => d.reason).every((r) => r === 'expired')).toBe(true);
      expect(dead.map((d) => d.body).sort()).toEqual([...expiring].sort());
      expect(queue.messageCount).toBe(kept.length);
      expect(fx.store.queueStats(queueId).messages).toBe(kept.length);
      expect(bodies(takeAll(queue).entries)).toEqual(expectedOrder(kept));
    } finally {
      jest.useRealTimers();
    }
  });

  test('x-max-length drop-head applies past the window: the head (highest priority first) is dropped', () => {
    const limit = WINDOW + 50;
    const { queue, queueId } = priorityQueue(fx.store, { maxLength: limit });
    const published = publishMany(queue, limit + 30);
    expect(queue.messageCount).toBe(limit);
    expect(fx.store.queueStats(queueId).messages).toBe(limit);
    expect(dead).toHaveLength(30);
    expect(dead.every((d) => d.reason === 'maxlen')).toBe(true);
    // What is left is what the queue would deliver after dropping its head as each message arrived.
    const left = bodies(takeAll(queue).entries);
    expect(left).toHaveLength(limit);
    expect(new Set([...left, ...dead.map((d) => d.body)])).toEqual(new Set(published.map((p) => p.body)));
    expect(left).toEqual(expectedOrder(published.filter((p) => !dead.some((d) => d.body === p.body))));
  });

  test('x-max-length reject-publish refuses past the limit, counting the stored tail', () => {
    const limit = WINDOW + 20;
    const { queue } = priorityQueue(fx.store, { maxLength: limit, overflow: 'reject-publish' });
    let refused = 0;
    for (let i = 0; i < limit + 5; i++) if (!queue.enqueue(message(`m${i}`, i % 4))) refused++;
    expect(refused).toBe(5);
    expect(queue.messageCount).toBe(limit);
  });

  test('purge empties every level, stored ones included; later messages page as before', () => {
    const { queue, queueId } = priorityQueue(fx.store);
    publishMany(queue, WINDOW + 100);
    expect(queue.purge()).toBe(WINDOW + 100);
    expect(queue.messageCount).toBe(0);
    expect(queue.pagedOut).toBe(0);
    expect(fx.store.queueStats(queueId).messages).toBe(0);
    const published = publishMany(queue, WINDOW + 10, 'again');
    expect(bodies(takeAll(queue).entries)).toEqual(expectedOrder(published));
  });
});
