import type { Message, QueueEntry } from './message';
import { Queue } from './queue';
import type { QueueOptions } from './queue-options';
import { FakeConsumer } from './test-support/fake-consumer';
import { nextTurn } from '../test-support/eventually';

function message(body: string): Message {
  return { id: 0, persistent: false, exchange: '', routingKey: 'q', properties: Buffer.from([0, 0]), body: Buffer.from(body), expiration: -1, headers: undefined };
}

function makeQueue(options: Partial<QueueOptions> = {}, unused: (q: Queue) => void = () => {}): Queue {
  return new Queue(
    { vhost: '/', name: 'q', durable: false, autoDelete: false, exclusiveOwner: null, arguments: {}, ...options },
    { unused },
  );
}

function fill(queue: Queue, ...bodies: string[]): void {
  for (const body of bodies) queue.enqueue(message(body));
}

/** Takes every ready entry (basic.get style) and returns the bodies. */
function takeAll(queue: Queue): string[] {
  const out: string[] = [];
  for (let e = queue.take(false); e !== undefined; e = queue.take(false)) out.push(e.message.body.toString());
  return out;
}

describe('Queue: FIFO and basic.get', () => {
  test('take returns entries in publish order with increasing seq, then undefined', () => {
    const q = makeQueue();
    fill(q, 'a', 'b', 'c');
    expect(q.messageCount).toBe(3);
    const a = q.take(false);
    const b = q.take(false);
    expect(a?.message.body.toString()).toBe('a');
    expect(b?.message.body.toString()).toBe('b');
    expect(a?.redelivered).toBe(false);
    expect((b?.seq ?? 0) - (a?.seq ?? 0)).toBe(1);
    expect(takeAll(q)).toEqual(['c']);
    expect(q.take(false)).toBeUndefined();
    expect(q.messageCount).toBe(0);
  });

  test('a consumer present at publish time gets the message synchronously', () => {
    const q = makeQueue();
    const c = new FakeConsumer('c1');
    q.addConsumer(c);
    fill(q, 'a', 'b');
    expect(c.bodies).toEqual(['a', 'b']);
    expect(q.messageCount).toBe(0);
  });

  test('messages waiting when a consumer arrives are delivered on the next turn, in order', async () => {
    const q = makeQueue();
    fill(q, 'a', 'b', 'c');
    const c = new FakeConsumer('c1');
    q.addConsumer(c);
    expect(c.bodies).toEqual([]);
    await nextTurn();
    expect(c.bodies).toEqual(['a', 'b', 'c']);
  });
});

describe('Queue: consumer selection', () => {
  test('round-robin across consumers of equal priority', () => {
    const q = makeQueue();
    const consumers = [new FakeConsumer('a'), new FakeConsumer('b'), new FakeConsumer('c')];
    for (const c of consumers) q.addConsumer(c);
    fill(q, '1', '2', '3', '4', '5', '6', '7');
    expect(consumers.map((c) => c.bodies)).toEqual([
      ['1', '4', '7'],
      ['2', '5'],
      ['3', '6'],
    ]);
  });

  test('round-robin skips a consumer without capacity and keeps rotating the others', () => {
    const q = makeQueue();
    const a = new FakeConsumer('a');
    const b = new FakeConsumer('b');
    const c = new FakeConsumer('c');
    for (const x of [a, b, c]) q.addConsumer(x);
    b.accepting = false;
    fill(q, '1', '2', '3', '4');
    expect([a.bodies, b.bodies, c.bodies]).toEqual([['1', '3'], [], ['2', '4']]);
  });

  test('the higher-priority consumer gets everything while it can accept', () => {
    const q = makeQueue();
    const low = new FakeConsumer('low', 0);
    const high = new FakeConsumer('high', 5);
    q.addConsumer(low);
    q.addConsumer(high);
    fill(q, '1', '2', '3');
    expect(high.bodies).toEqual(['1', '2', '3']);
    expect(low.bodies).toEqual([]);
  });

  test('a lower-priority consumer gets messages when the higher one cannot accept', () => {
    const q = makeQueue();
    const low = new FakeConsumer('low', -1);
    const mid = new FakeConsumer('mid', 0, 1);
    const high = new FakeConsumer('high', 10, 2);
    q.addConsumer(mid);
    q.addConsumer(low);
    q.addConsumer(high);
    fill(q, '1', '2', '3', '4', '5');
    expect(high.bodies).toEqual(['1', '2']);
    expect(mid.bodies).toEqual(['3']);
    expect(low.bodies).toEqual(['4', '5']);
  });

  test('with no consumer able to accept, messages stay ready until capacity appears', async () => {
    const q = makeQueue();
    const c = new FakeConsumer('c', 0, 1);
    q.addConsumer(c);
    fill(q, '1', '2', '3');
    expect(c.bodies).toEqual(['1']);
    expect(q.messageCount).toBe(2);
    c.limit = 3;
    q.scheduleDrain();
    await nextTurn();
    expect(c.bodies).toEqual(['1', '2', '3']);
    expect(q.messageCount).toBe(0);
  });

  test('exclusive consumer flag follows add and remove', () => {
    const q = makeQueue();
    const c = new FakeConsumer('c', 0, Infinity, { exclusive: true });
    expect(q.hasExclusiveConsumer).toBe(false);
    q.addConsumer(c);
    expect(q.hasExclusiveConsumer).toBe(true);
    expect(q.consumerCount).toBe(1);
    q.removeConsumer(c);
    expect(q.hasExclusiveConsumer).toBe(false);
    expect(q.consumerCount).toBe(0);
  });
});

describe('Queue: requeue', () => {
  test('requeued entries go back in front, in original order, marked redelivered', () => {
    const q = makeQueue();
    fill(q, 'a', 'b', 'c', 'd');
    const a = q.take(false) as QueueEntry;
    const b = q.take(false) as QueueEntry;
    q.requeue([b, a]);
    expect(a.redelivered).toBe(true);
    expect(b.redelivered).toBe(true);
    const order: Array<[string, boolean]> = [];
    for (let e = q.take(false); e !== undefined; e = q.take(false)) order.push([e.message.body.toString(), e.redelivered]);
    expect(order).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
      ['d', false],
    ]);
  });

  test('interleaved requeue of entries from the middle restores original positions', () => {
    const q = makeQueue();
    fill(q, '1', '2', '3', '4', '5', '6', '7', '8');
    const taken = [q.take(false), q.take(false), q.take(false), q.take(false), q.take(false)] as QueueEntry[]; // 1..5 out, 6,7,8 ready
    const [e1, e2, e3, e4, e5] = taken as [QueueEntry, QueueEntry, QueueEntry, QueueEntry, QueueEntry];
    // 1 and 3 are settled; 5 and 2 come back first, then 4, then a newer message is published.
    q.requeue([e5, e2]);
    fill(q, '9');
    q.requeue([e4]);
    expect(e1.redelivered).toBe(false);
    expect(e3.redelivered).toBe(false);
    expect(takeAll(q)).toEqual(['2', '4', '5', '6', '7', '8', '9']);
  });

  test('requeue into an empty queue and into a queue that only has newer entries', () => {
    const q = makeQueue();
    fill(q, 'a', 'b');
    const a = q.take(false) as QueueEntry;
    const b = q.take(false) as QueueEntry;
    q.requeue([b]);
    fill(q, 'c');
    q.requeue([a]);
    expect(takeAll(q)).toEqual(['a', 'b', 'c']);
  });

  test('requeued entries are redelivered to consumers on the next turn with redelivered set', async () => {
    const q = makeQueue();
    const c = new FakeConsumer('c', 0, 2);
    q.addConsumer(c);
    fill(q, 'a', 'b', 'c');
    expect(c.bodies).toEqual(['a', 'b']);
    const returned = c.delivered.splice(0);
    q.requeue(returned);
    expect(c.delivered).toEqual([]);
    await nextTurn();
    expect(c.bodies).toEqual(['a', 'b']);
    expect(c.delivered.map((e) => e.redelivered)).toEqual([true, true]);
    expect(q.messageCount).toBe(1);
  });

  test('requeue to a deleted queue is ignored', () => {
    const q = makeQueue();
    fill(q, 'a');
    const a = q.take(false) as QueueEntry;
    q.destroy();
    q.requeue([a]);
    expect(q.messageCount).toBe(0);
    expect(a.redelivered).toBe(false);
  });
});

describe('Queue: purge, auto-delete, destroy', () => {
  test('purge returns how many ready messages it dropped', () => {
    const q = makeQueue();
    fill(q, 'a', 'b', 'c');
    q.take(false);
    expect(q.purge()).toBe(2);
    expect(q.messageCount).toBe(0);
    expect(q.purge()).toBe(0);
  });

  test('the unused hook fires when the last consumer of an auto-delete queue leaves', () => {
    const unused = jest.fn();
    const q = makeQueue({ autoDelete: true }, unused);
    const a = new FakeConsumer('a');
    const b = new FakeConsumer('b');
    q.addConsumer(a);
    q.addConsumer(b);
    q.removeConsumer(a);
    expect(unused).not.toHaveBeenCalled();
    q.removeConsumer(b);
    expect(unused).toHaveBeenCalledTimes(1);
    expect(unused).toHaveBeenCalledWith(q);
  });

  test('the unused hook does not fire for a queue that never had a consumer, or for an unknown consumer', () => {
    const unused = jest.fn();
    const q = makeQueue({ autoDelete: true }, unused);
    q.removeConsumer(new FakeConsumer('stranger'));
    expect(unused).not.toHaveBeenCalled();
  });

  test('the unused hook does not fire for a queue that is not auto-delete', () => {
    const unused = jest.fn();
    const q = makeQueue({ autoDelete: false }, unused);
    const a = new FakeConsumer('a');
    q.addConsumer(a);
    q.removeConsumer(a);
    expect(unused).not.toHaveBeenCalled();
  });

  test('destroy cancels every consumer, drops messages, returns their count and stops deliveries', async () => {
    const unused = jest.fn();
    const q = makeQueue({ autoDelete: true }, unused);
    const a = new FakeConsumer('a', 0, 0);
    const b = new FakeConsumer('b', 3, 0);
    q.addConsumer(a);
    q.addConsumer(b);
    fill(q, '1', '2');
    expect(q.destroy()).toBe(2);
    expect(q.deleted).toBe(true);
    expect([a.cancelled, b.cancelled]).toEqual([1, 1]);
    expect(q.consumerCount).toBe(0);
    expect(q.messageCount).toBe(0);
    // Removing an already-cancelled consumer afterwards must not fire the auto-delete hook.
    q.removeConsumer(a);
    expect(unused).not.toHaveBeenCalled();
    a.limit = Infinity;
    await nextTurn();
    expect(a.delivered).toEqual([]);
  });
});

describe('Queue: drain budget', () => {
  test('a consumer with more than 2048 ready messages gets them over several turns', async () => {
    const q = makeQueue();
    const total = 5000;
    for (let i = 0; i < total; i++) q.enqueue(message(String(i)));
    const c = new FakeConsumer('c');
    q.addConsumer(c);
    const perTurn: number[] = [];
    let seen = 0;
    for (let turn = 0; turn < 5 && seen < total; turn++) {
      await nextTurn();
      perTurn.push(c.delivered.length - seen);
      seen = c.delivered.length;
    }
    expect(perTurn).toEqual([2048, 2048, 904]);
    expect(c.delivered.every((e, i) => e.message.body.toString() === String(i))).toBe(true);
    expect(q.messageCount).toBe(0);
  });

  test('a synchronous drain() stops at the budget and schedules the rest', async () => {
    const q = makeQueue();
    const c = new FakeConsumer('c');
    c.accepting = false;
    q.addConsumer(c);
    for (let i = 0; i < 3000; i++) q.enqueue(message(String(i)));
    await nextTurn();
    expect(c.delivered.length).toBe(0);
    c.accepting = true;
    q.drain();
    expect(c.delivered.length).toBe(2048);
    expect(q.messageCount).toBe(952);
    await nextTurn();
    expect(c.delivered.length).toBe(3000);
  });
});

describe('Queue: very long queues', () => {
  test('purging 500,000 transient messages (one call per entry, not one spread call that overflows the stack)', () => {
    const q = makeQueue();
    const m = message('x');
    for (let i = 0; i < 500_000; i++) q.enqueue({ ...m });
    expect(q.purge()).toBe(500_000);
    expect(q.messageCount).toBe(0);
  });
});
