/**
 * A queue never lets stored data or a fault in its own timers take the broker down:
 * - a stored entry that could not be delivered (properties a client could not decode, names that no longer fit a
 *   short string: what an older version may have written) is moved to the quarantine when it is loaded, whether by
 *   paging, at recovery, or by expiry from the stored tail, and the entries around it are delivered in order;
 * - an exception in the expiry timer or in dead-lettering is reported and contained, and expiry goes on.
 * Both stores: MemoryStore, and SqliteStore on a temp dir (reopened to restart).
 */
import { RESTARTABLE_STORES, type RestartableStore } from '../store/test-support/restartable';
import type { MessageRecord, Store } from '../store/store';
import type { QueueEntry, StoredMessageParts } from './message';
import { WINDOW } from './paging';
import { Queue } from './queue';
import type { QueueHooks, QueueOptions } from './queue-options';
import { DEFAULT_SETTINGS } from './arguments';
import { HandClock } from '../test-support/hand-clock';

const OPTIONS: QueueOptions = { vhost: '/', name: 'q', durable: true, autoDelete: false, exclusiveOwner: null, arguments: {} };

interface Reported {
  setAside: { message: StoredMessageParts; reason: string }[];
  errors: { err: unknown; during: string }[];
}

function hooksFor(reported: Reported, store: Store): QueueHooks {
  return {
    unused: () => {},
    setAside: (queue, message, reason) => {
      reported.setAside.push({ message, reason });
      store.quarantine({ vhost: '/', queue: queue.name, reason, at: 0, ...pick(message) });
    },
    error: (_queue, err, during) => reported.errors.push({ err, during }),
  };
}

function pick(m: StoredMessageParts): StoredMessageParts {
  return { exchange: m.exchange, routingKey: m.routingKey, properties: m.properties, body: m.body };
}

function record(store: Store, body: string, properties = Buffer.from([0, 0]), routingKey = 'rk'): MessageRecord {
  return { id: store.nextMessageId(), exchange: 'x', routingKey, properties, body: Buffer.from(body) };
}

function drainAll(queue: Queue): string[] {
  const out: string[] = [];
  for (let e: QueueEntry | undefined = queue.take(true); e !== undefined; e = queue.take(true)) out.push(e.message.body.toString());
  return out;
}

describe.each(RESTARTABLE_STORES)('poisoned stored entries are set aside (%s)', (_name, make) => {
  let fx: RestartableStore;
  afterEach(async () => {
    await fx.cleanup();
  });

  test('at recovery and while paging: the good entries come out in order, each bad one goes to the quarantine', async () => {
    fx = make('leveret-queue-safety-');
    let store = fx.store;
    const queueId = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const bad = new Map<number, string>([
      [2, 'properties: truncated short string'], // a content-type flag with no value
      [WINDOW + 5, 'stored record: routing key does not fit a short string'],
    ]);
    const total = WINDOW + 10;
    for (let seq = 1; seq <= total; seq++) {
      const body = `m${seq}`;
      if (seq === 2) store.enqueue(queueId, seq, record(store, body, Buffer.from([0x80, 0x00])));
      // A routing key an older version decoded lossily: 255 characters of U+FFFD are 765 bytes on the wire.
      else if (seq === WINDOW + 5) store.enqueue(queueId, seq, record(store, body, undefined, '\ufffd'.repeat(255)));
      else store.enqueue(queueId, seq, record(store, body));
    }
    await store.flush();
    store = fx.restart();
    const reported: Reported = { setAside: [], errors: [] };
    const queue = new Queue(OPTIONS, hooksFor(reported, store), { store, queueId });
    queue.recover(store.queueStats(queueId));
    const expected = Array.from({ length: total }, (_, i) => `m${i + 1}`).filter((_, i) => !bad.has(i + 1));
    expect(drainAll(queue)).toEqual(expected);
    expect(reported.setAside.map((r) => r.reason)).toEqual([...bad.values()]);
    expect(reported.setAside.map((r) => r.message.body.toString())).toEqual([...bad.keys()].map((seq) => `m${seq}`));
    expect(queue.messageCount).toBe(0);
    expect(queue.readyBytes).toBe(0);
    await store.flush();
    // Moved, not copied: the queue's stored entries are gone, the quarantine holds both.
    store = fx.restart();
    expect(store.queueStats(queueId).messages).toBe(0);
    expect(store.loadQuarantine(10).map((r) => r.body.toString())).toEqual(['m2', `m${WINDOW + 5}`]);
  });

  test('expiring from the stored tail: a bad entry is set aside instead of dead-lettered', async () => {
    fx = make('leveret-queue-safety-');
    const store = fx.store;
    const queueId = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const clock = new HandClock();
    const past = clock.now() - 1000;
    // A full window first, so that the two expired entries stay in the stored tail and expire from there.
    for (let seq = 1; seq <= WINDOW; seq++) store.enqueue(queueId, seq, record(store, `w${seq}`));
    store.enqueue(queueId, WINDOW + 1, record(store, 'good'), past);
    store.enqueue(queueId, WINDOW + 2, record(store, 'bad', Buffer.from([0x00, 0x01, 0x00, 0x00])), past);
    await store.flush();
    const reported: Reported = { setAside: [], errors: [] };
    const deadLettered: string[] = [];
    const hooks = { ...hooksFor(reported, store), deadLetter: (_q: Queue, m: { body: Buffer }, _r: unknown, release?: () => void) => {
      deadLettered.push(m.body.toString());
      release?.();
    } };
    const queue = new Queue({ ...OPTIONS, settings: { ...queueSettings(), deadLetterExchange: 'dlx' }, clock }, hooks, { store, queueId });
    queue.recover(store.queueStats(queueId));
    clock.advance(0);
    expect(deadLettered).toEqual(['good']);
    expect(reported.setAside.map((r) => r.reason)).toEqual(['property flags: continuation words are not supported']);
    expect(queue.messageCount).toBe(WINDOW);
    queue.stop();
  });
});

describe('faults in timers and hooks are contained', () => {
  test('dead-lettering that throws is reported; the entry is still removed and expiry goes on', () => {
    const reported: Reported = { setAside: [], errors: [] };
    let calls = 0;
    const clock = new HandClock();
    const queue = new Queue(
      { ...OPTIONS, durable: false, settings: { ...queueSettings(), deadLetterExchange: 'dlx', messageTtl: 5 }, clock },
      {
        unused: () => {},
        error: (_q, err, during) => reported.errors.push({ err, during }),
        deadLetter: () => {
          calls++;
          if (calls === 1) throw new Error('injected dead-letter fault');
        },
      },
    );
    for (const body of ['a', 'b']) {
      queue.enqueue({ id: 0, persistent: false, exchange: '', routingKey: 'q', properties: Buffer.alloc(0), body: Buffer.from(body), expiration: -1, headers: undefined });
    }
    clock.advance(5);
    expect(calls).toBe(2);
    expect(queue.messageCount).toBe(0);
    expect(reported.errors.map((e) => e.during)).toEqual(['dead-lettering']);
  });

  test('an expiry pass that throws is reported and tried again a second later', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const reported: Reported = { setAside: [], errors: [] };
      const queue = new Queue(
        { ...OPTIONS, durable: false, settings: { ...queueSettings(), messageTtl: 10 } },
        { unused: () => {}, error: (_q, err, during) => reported.errors.push({ err, during }) },
      );
      queue.enqueue({ id: 0, persistent: false, exchange: '', routingKey: 'q', properties: Buffer.alloc(0), body: Buffer.from('x'), expiration: -1, headers: undefined });
      const expireDue = jest.spyOn(queue.expiry as unknown as { expireDue(): void }, 'expireDue').mockImplementationOnce(() => {
        throw new Error('injected expiry fault');
      });
      jest.advanceTimersByTime(11);
      expect(reported.errors.map((e) => e.during)).toEqual(['expiry']);
      expect(queue.messageCount).toBe(1);
      jest.advanceTimersByTime(1000);
      expect(expireDue).toHaveBeenCalledTimes(2);
      expect(queue.messageCount).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

/** The defaults, as parseQueueArguments({}) gives them. */
function queueSettings(): NonNullable<QueueOptions['settings']> {
  return { ...DEFAULT_SETTINGS };
}
