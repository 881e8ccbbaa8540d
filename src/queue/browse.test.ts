/**
 * The browser's cursor and the re-drive's take, on durable queues paged to the store (both stores): every offset of
 * a FIFO queue with transient messages waiting behind its stored tail and of a paged priority queue gives the
 * message delivery would give there; browsing changes nothing; a taken message leaves the queue once (or comes back
 * where it was on undo), whether it was in memory, in the overflow or only in the store.
 */
import { RESTARTABLE_STORES, type RestartableStore } from '../store/test-support/restartable';
import type { FieldTable } from '../protocol/field-table';
import type { Store } from '../store/store';
import { DEFAULT_SETTINGS } from './arguments';
import { BrowseCursor } from './browse';
import { TakenMessage } from './browse-take';
import type { Message } from './message';
import { WINDOW } from './paging';
import { Queue } from './queue';

function message(body: string, priority: number | undefined, persistent = true): Message {
  return {
    id: 0,
    persistent,
    exchange: 'x',
    routingKey: 'rk',
    properties: priority === undefined ? Buffer.alloc(2) : Buffer.from([0x08, 0x00, priority]),
    body: Buffer.from(body),
    expiration: -1,
    headers: undefined,
  };
}

function durableQueue(store: Store, maxPriority?: number): Queue {
  const args: FieldTable = maxPriority === undefined ? {} : { 'x-max-priority': maxPriority };
  const queueId = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: args });
  const options = { vhost: '/', name: 'q', durable: true, autoDelete: false, exclusiveOwner: null, arguments: args, settings: { ...DEFAULT_SETTINGS, maxPriority } };
  return new Queue(options, { unused: () => {} }, { store, queueId });
}

/** Delivery order, taken with noAck from a queue rebuilt as a copy would be: here, the queue itself, at the end. */
function drain(queue: Queue): string[] {
  const out: string[] = [];
  for (let e = queue.take(true); e !== undefined; e = queue.take(true)) out.push(e.message.body.toString());
  return out;
}

function browseAll(queue: Queue, chunk: number): string[] {
  const cursor = new BrowseCursor(queue, 0);
  const out: string[] = [];
  for (let page = cursor.next(chunk); page.length > 0; page = cursor.next(chunk)) out.push(...page.map((m) => m.body.toString()));
  return out;
}

describe.each(RESTARTABLE_STORES)('browse and take on %s', (_name, make) => {
  let fx: RestartableStore;
  beforeEach(() => {
    fx = make('leveret-browse-');
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  test('FIFO with a stored tail and transient messages behind it: any offset gives what delivery gives there', () => {
    const queue = durableQueue(fx.store);
    for (let i = 0; i < WINDOW + 300; i++) queue.enqueue(message(`p${i}`, undefined, i % 97 !== 50 || i < WINDOW));
    const count = queue.messageCount;
    const walked = browseAll(queue, 333);
    expect(walked).toHaveLength(count);
    for (const offset of [0, 1, WINDOW - 1, WINDOW, WINDOW + 27, WINDOW + 28, WINDOW + 29, WINDOW + 49, WINDOW + 50, WINDOW + 51, count - 1]) {
      expect(new BrowseCursor(queue, offset).next(3).map((m) => m.body.toString())).toEqual(walked.slice(offset, offset + 3));
      expect(new BrowseCursor(queue, offset).next(1)[0]?.position).toBe(offset);
    }
    expect(new BrowseCursor(queue, count).next(5)).toEqual([]);
    expect(queue.messageCount).toBe(count);
    expect(drain(queue)).toEqual(walked);
  });

  test('a paged priority queue is walked highest level first, FIFO within one, at any offset', () => {
    const queue = durableQueue(fx.store, 4);
    const sent: { body: string; p: number }[] = [];
    for (let i = 0; i < 2 * WINDOW + 11; i++) {
      const p = (i * 3) % 5;
      sent.push({ body: `m${i}`, p });
      queue.enqueue(message(`m${i}`, p));
    }
    const expected = sent
      .map((s, i) => ({ ...s, i }))
      .sort((a, b) => b.p - a.p || a.i - b.i)
      .map((s) => s.body);
    expect(browseAll(queue, 500)).toEqual(expected);
    for (const offset of [0, 1700, WINDOW, WINDOW + 5, expected.length - 2]) {
      expect(new BrowseCursor(queue, offset).next(4).map((m) => m.body.toString())).toEqual(expected.slice(offset, offset + 4));
    }
    expect(drain(queue)).toEqual(expected);
  });

  test('take: from memory, the overflow and the stored tail, each once; undo puts it back in its place', () => {
    const queue = durableQueue(fx.store);
    for (let i = 0; i < WINDOW + 20; i++) queue.enqueue(message(`p${i}`, undefined));
    queue.enqueue(message('transient', undefined, false));
    queue.enqueue(message('last', undefined));
    const all = new BrowseCursor(queue, 0).next(WINDOW + 30);
    const pick = (body: string) => all.find((m) => m.body.toString() === body)!;
    const head = TakenMessage.take(queue, pick('p0'))!;
    head.commit();
    expect(TakenMessage.take(queue, pick('p0'))).toBeUndefined();
    const stored = TakenMessage.take(queue, pick(`p${WINDOW + 5}`))!;
    expect(stored.message('y', 'k', -1)).toMatchObject({ exchange: 'y', routingKey: 'k', persistent: true });
    stored.commit();
    const overflowed = TakenMessage.take(queue, pick('transient'))!;
    overflowed.undo();
    const middle = TakenMessage.take(queue, pick('p7'))!;
    middle.undo();
    expect(queue.messageCount).toBe(WINDOW + 20);
    const left = drain(queue);
    expect(left).toHaveLength(WINDOW + 20);
    expect(left.slice(0, 7)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
    expect(left).not.toContain('p0');
    expect(left).not.toContain(`p${WINDOW + 5}`);
    expect(left.slice(-2)).toEqual(['transient', 'last']);
    expect(fx.store.queueStats(1).messages + fx.store.queueStats(2).messages).toBe(0);
  });
});
