/**
 * Expiry by deadline in durable queues whose persistent messages go past WINDOW into the stored tail: tail entries
 * expire on time without being loaded first (the store's deadline index), their store entries go, and the rest keeps
 * its order. Deadlines are stored, so after a restart (a new Queue on the same store, recover()) they are the
 * original ones: a deadline that passed while the broker was down fires right after recovery, a later one does not
 * fire early.
 *
 * Every case runs against both stores: MemoryStore, and SqliteStore on a temp dir (closed and reopened to restart).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FieldTable } from '../protocol/field-table';
import { encodeBasicProperties } from '../protocol/generated/amqp';
import { SqliteStore } from '../store/sqlite';
import { RESTARTABLE_STORES, type RestartableStore } from '../store/test-support/restartable';
import type { Store } from '../store/store';
import { parseQueueArguments } from './arguments';
import type { DeathReason } from './dead-letter';
import type { Message, QueueEntry } from './message';
import { WINDOW } from './paging';
import { Queue } from './queue';
import type { QueueHooks } from './queue-options';
import { HandClock } from '../test-support/hand-clock';


const ARGS: FieldTable = { 'x-dead-letter-exchange': 'dlx' };

/** The time every queue of a test reads and arms its timers with; moved by hand. */
let clock = new HandClock();

/** Records dead-lettering (body, reason, when). */
class Recorder implements QueueHooks {
  readonly deaths: Array<{ body: string; reason: DeathReason; at: number }> = [];

  unused(): void {}

  deadLetter(_queue: Queue, message: Message, reason: DeathReason, release?: () => void): void {
    this.deaths.push({ body: message.body.toString(), reason, at: clock.now() });
    release?.();
  }
}

/** A durable queue with a DLX on `store`, registering it there first unless queueId is given. */
function durableQueue(store: Store, hooks: QueueHooks, queueId?: number): { queue: Queue; queueId: number } {
  const id = queueId ?? store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: ARGS });
  const queue = new Queue(
    { vhost: '/', name: 'q', durable: true, autoDelete: false, exclusiveOwner: null, arguments: ARGS, settings: parseQueueArguments(ARGS), clock },
    hooks,
    { store, queueId: id },
  );
  return { queue, queueId: id };
}

/** A message; `expiration` in ms, or none. */
function message(body: string, expiration?: number, persistent = true): Message {
  const props = encodeBasicProperties({ deliveryMode: persistent ? 2 : 1, ...(expiration === undefined ? {} : { expiration: String(expiration) }) });
  return { id: 0, persistent, exchange: 'x', routingKey: 'rk', properties: props, body: Buffer.from(body), expiration: expiration ?? -1, headers: undefined };
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** Entries the queue holds in memory (ready list). */
function held(queue: Queue): number {
  return queue.pager.readyLength;
}

function takeAllBodies(queue: Queue): string[] {
  const out: string[] = [];
  for (let e: QueueEntry | undefined = queue.take(true); e !== undefined; e = queue.take(true)) out.push(e.message.body.toString());
  return out;
}

describe.each(RESTARTABLE_STORES)('expiry of paged durable queues on %s', (_name, make) => {
  let fx: RestartableStore;
  const queues: Queue[] = [];
  beforeEach(() => {
    fx = make('leveret-expiry-paging-');
    clock = new HandClock();
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) if (!q.deleted) q.destroy();
    await fx.cleanup();
  });

  function track<T extends { queue: Queue }>(made: T): T {
    queues.push(made.queue);
    return made;
  }

  test('short-lived messages in the stored tail expire on time; the head and the rest keep their order', () => {
    const hooks = new Recorder();
    const { queue, queueId } = track(durableQueue(fx.store, hooks));
    const head = names('h', WINDOW);
    for (const body of head) queue.enqueue(message(body));
    const kept: string[] = [];
    const expiring: string[] = [];
    const start = clock.now();
    for (let i = 0; i < 100; i++) {
      queue.enqueue(message(`e${i}`, 50));
      expiring.push(`e${i}`);
      queue.enqueue(message(`k${i}`));
      kept.push(`k${i}`);
    }
    expect(held(queue)).toBe(WINDOW);
    expect(queue.messageCount).toBe(WINDOW + 200);
    expect(fx.store.queueStats(queueId).messages).toBe(WINDOW + 200);

    clock.advance(49);
    expect(hooks.deaths).toEqual([]);
    clock.advance(1);
    expect(hooks.deaths).toHaveLength(100);
    expect(hooks.deaths.every((d) => d.reason === 'expired')).toBe(true);
    expect(hooks.deaths.map((d) => d.body)).toEqual(expiring);
    expect(hooks.deaths.every((d) => d.at - start === 50)).toBe(true);
    expect(queue.messageCount).toBe(WINDOW + 100);
    expect(fx.store.queueStats(queueId).messages).toBe(WINDOW + 100);
    expect(queue.readyBytes).toBe(fx.store.queueStats(queueId).bytes);

    expect(takeAllBodies(queue)).toEqual([...head, ...kept]);
    expect(fx.store.queueStats(queueId).messages).toBe(0);
    expect(hooks.deaths).toHaveLength(100);
  });

  test('a tail entry expires on time behind a long-lived one, without loading the tail', () => {
    const hooks = new Recorder();
    const { queue, queueId } = track(durableQueue(fx.store, hooks));
    for (const body of names('h', WINDOW)) queue.enqueue(message(body));
    queue.enqueue(message('long', 60000));
    queue.enqueue(message('short', 30));
    const loads = jest.spyOn(fx.store, 'loadEntries');
    clock.advance(30);
    expect(hooks.deaths).toHaveLength(1);
    expect(hooks.deaths.map((d) => [d.body, d.reason])).toEqual([['short', 'expired']]);
    expect(loads).not.toHaveBeenCalled();
    expect(queue.messageCount).toBe(WINDOW + 1);
    expect(fx.store.queueStats(queueId).messages).toBe(WINDOW + 1);
    expect(takeAllBodies(queue).slice(-2)).toEqual(['h4095', 'long']);
  });

  test('transient messages waiting behind the tail expire too, and order is kept', () => {
    const hooks = new Recorder();
    const { queue } = track(durableQueue(fx.store, hooks));
    for (const body of names('h', WINDOW)) queue.enqueue(message(body));
    queue.enqueue(message('p0'));
    queue.enqueue(message('t-exp', 30, false));
    queue.enqueue(message('t-keep', undefined, false));
    queue.enqueue(message('p1', 30));
    queue.enqueue(message('p2'));
    clock.advance(30);
    expect(hooks.deaths).toHaveLength(2);
    expect(hooks.deaths.map((d) => d.body).sort()).toEqual(['p1', 't-exp']);
    expect(queue.messageCount).toBe(WINDOW + 3);
    expect(takeAllBodies(queue).slice(-3)).toEqual(['p0', 't-keep', 'p2']);
  });

  test('after a restart the stored deadlines hold: passed ones expire at once, later ones not early', () => {
    const before = new Recorder();
    const first = durableQueue(fx.store, before);
    const { queueId } = first;
    const published = clock.now();
    // In the window (loaded at recovery) and in the tail (left in the store), one of each kind.
    first.queue.enqueue(message('head-soon', 60));
    first.queue.enqueue(message('head-late', 700));
    for (const body of names('h', WINDOW - 2)) first.queue.enqueue(message(body));
    first.queue.enqueue(message('tail-soon', 60));
    first.queue.enqueue(message('tail-late', 700));
    for (const body of names('t', 10)) first.queue.enqueue(message(body));
    // The broker goes down: the old queue's timers stop, the store keeps everything.
    first.queue.destroy();
    expect(fx.store.queueStats(queueId).messages).toBe(WINDOW + 12);
    expect(clock.pending).toBe(0);
    clock.advance(120);
    expect(before.deaths).toEqual([]);

    const store = fx.restart();
    const hooks = new Recorder();
    const { queue } = track(durableQueue(store, hooks, queueId));
    const recovered = clock.now();
    queue.recover(store.queueStats(queueId));
    expect(queue.messageCount).toBe(WINDOW + 12);

    clock.advance(0);
    expect(hooks.deaths.map((d) => d.body).sort()).toEqual(['head-soon', 'tail-soon']);
    expect(hooks.deaths.every((d) => d.at === recovered)).toBe(true);
    expect(queue.messageCount).toBe(WINDOW + 10);
    expect(store.queueStats(queueId).messages).toBe(WINDOW + 10);

    // The late ones are due 700 ms after the original publish, not 700 ms after the recovery.
    clock.advance(published + 699 - clock.now());
    expect(hooks.deaths).toHaveLength(2);
    clock.advance(1);
    expect(hooks.deaths).toHaveLength(4);
    const late = hooks.deaths.slice(2);
    expect(late.map((d) => d.body).sort()).toEqual(['head-late', 'tail-late']);
    expect(late.every((d) => d.at - published === 700)).toBe(true);
    expect(queue.messageCount).toBe(WINDOW + 8);
    expect(store.queueStats(queueId).messages).toBe(WINDOW + 8);
    expect(takeAllBodies(queue)).toEqual([...names('h', WINDOW - 2), ...names('t', 10)]);
  });

  test('a recovered queue whose whole tail is past its deadlines empties it without loading it into memory', () => {
    const first = durableQueue(fx.store, new Recorder());
    const { queueId } = first;
    for (const body of names('h', WINDOW)) first.queue.enqueue(message(body));
    for (const body of names('e', 50)) first.queue.enqueue(message(body, 20));
    first.queue.destroy();
    clock.advance(40);

    const store = fx.restart();
    const hooks = new Recorder();
    const { queue } = track(durableQueue(store, hooks, queueId));
    queue.recover(store.queueStats(queueId));
    expect(held(queue)).toBe(WINDOW);
    clock.advance(0);
    expect(hooks.deaths).toHaveLength(50);
    expect(hooks.deaths.map((d) => d.body)).toEqual(names('e', 50));
    expect(queue.messageCount).toBe(WINDOW);
    expect(store.queueStats(queueId).messages).toBe(WINDOW);
    expect(takeAllBodies(queue)).toEqual(names('h', WINDOW));
  });
});

describe('timers after the store is closed', () => {
  test('an expiry timer that fires after its SQLite store closed stops quietly instead of throwing', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leveret-expiry-closed-'));
    const store = SqliteStore.open({ dataDir });
    const queueId = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const dead: string[] = [];
    const hand = new HandClock();
    const queue = new Queue(
      {
        vhost: '/',
        name: 'q',
        durable: true,
        autoDelete: false,
        exclusiveOwner: null,
        arguments: { 'x-message-ttl': 30, 'x-dead-letter-exchange': 'dlx' },
        settings: parseQueueArguments({ 'x-message-ttl': 30, 'x-dead-letter-exchange': 'dlx' }),
        clock: hand,
      },
      { unused: () => undefined, deadLetter: (_q, m, _r, release) => {
        dead.push(m.body.toString());
        release?.();
      } },
      { store, queueId },
    );
    queue.enqueue(message('a'));
    await store.close();
    try {
      // The timer's callback runs inside advance(): what it let escape would throw here.
      expect(() => hand.advance(100)).not.toThrow();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    // The timer did fire (the message reached the dead-letter hook) before the closed store stopped it, for good.
    expect(dead).toEqual(['a']);
    expect(hand.pending).toBe(0);
  });
});
