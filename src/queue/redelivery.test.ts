/**
 * Queue features, rejection and redelivery: settle(entry, true) dead-letters, x-delivery-limit and x-delivery-count.
 * Queues are built from arguments as the vhost builds them (test-support/features.ts).
 */
import type { QueueEntry } from './message';
import { DLX, destroyMadeQueues, headersOf, makeQueue, msg } from './test-support/features';

afterEach(destroyMadeQueues);

describe('settle: rejection dead-letters', () => {
  test('settle(entry, true) dead-letters with reason rejected; settle(entry) does not', () => {
    const { q, hooks } = makeQueue(DLX);
    q.enqueue(msg('acked'));
    q.enqueue(msg('rejected'));
    const acked = q.take(false) as QueueEntry;
    const rejected = q.take(false) as QueueEntry;
    q.settle(acked);
    expect(hooks.deaths).toEqual([]);
    q.settle(rejected, true);
    expect(hooks.summary).toEqual([['rejected', 'rejected']]);
    expect(hooks.deaths[0]?.message).toBe(rejected.message);
    expect(q.unackedCount).toBe(0);
  });

  test('settling the same entry twice dead-letters it once', () => {
    const { q, hooks } = makeQueue(DLX);
    q.enqueue(msg('m'));
    const e = q.take(false) as QueueEntry;
    q.settle(e, true);
    q.settle(e, true);
    expect(hooks.deaths).toHaveLength(1);
  });

  test('without a dead-letter exchange a rejected message is dropped', () => {
    const { q, hooks } = makeQueue();
    q.enqueue(msg('m'));
    q.settle(q.take(false) as QueueEntry, true);
    expect(hooks.deaths).toEqual([]);
    expect(q.messageCount).toBe(0);
  });
});

describe('x-delivery-limit', () => {
  test('limit 2: redeliveries carry x-delivery-count 1 then 2, the third return dead-letters (delivery_limit)', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-delivery-limit': 2 });
    q.enqueue(msg('m', { headers: { keep: 'yes' } }));
    const first = q.take(false) as QueueEntry;
    expect(first.redelivered).toBe(false);
    expect(headersOf(first)).toEqual({ keep: 'yes' });

    q.requeue([first]);
    expect(first.returns).toBe(1);
    const second = q.take(false) as QueueEntry;
    expect(second.redelivered).toBe(true);
    expect(headersOf(second)).toEqual({ keep: 'yes', 'x-delivery-count': 1 });

    q.requeue([second]);
    expect(second.returns).toBe(2);
    const third = q.take(false) as QueueEntry;
    expect(headersOf(third)).toEqual({ keep: 'yes', 'x-delivery-count': 2 });
    expect(hooks.deaths).toEqual([]);

    q.requeue([third]);
    expect(hooks.summary).toEqual([['m', 'delivery_limit']]);
    expect(q.messageCount).toBe(0);
    expect(q.take(false)).toBeUndefined();
    expect(q.unackedCount).toBe(0);
  });

  test('without a dead-letter exchange the message just disappears after the limit', () => {
    const { q, hooks } = makeQueue({ 'x-delivery-limit': 2 });
    q.enqueue(msg('m'));
    for (let i = 0; i < 3; i++) q.requeue([q.take(false) as QueueEntry]);
    expect(q.messageCount).toBe(0);
    expect(hooks.deaths).toEqual([]);
  });

  test('limit 0: the first return dead-letters', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-delivery-limit': 0 });
    q.enqueue(msg('m'));
    q.requeue([q.take(false) as QueueEntry]);
    expect(hooks.summary).toEqual([['m', 'delivery_limit']]);
    expect(q.messageCount).toBe(0);
  });

  test('returns count per entry: other entries requeued alongside are unaffected', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-delivery-limit': 1 });
    q.enqueue(msg('a'));
    const a = q.take(false) as QueueEntry;
    q.requeue([a]);
    q.enqueue(msg('b'));
    const a2 = q.take(false) as QueueEntry;
    const b = q.take(false) as QueueEntry;
    q.requeue([b, a2]);
    expect(hooks.summary).toEqual([['a', 'delivery_limit']]);
    const again = q.take(false) as QueueEntry;
    expect(again.message.body.toString()).toBe('b');
    expect(headersOf(again)).toEqual({ 'x-delivery-count': 1 });
  });

  test('a queue without a limit adds no x-delivery-count to redeliveries', () => {
    const { q } = makeQueue();
    q.enqueue(msg('m', { headers: { keep: 1 } }));
    const e = q.take(false) as QueueEntry;
    q.requeue([e]);
    expect(headersOf(q.take(false) as QueueEntry)).toEqual({ keep: 1 });
  });

  test('x-queue-type quorum marks redeliveries with x-delivery-count and never drops without a limit', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-queue-type': 'quorum' });
    q.enqueue(msg('m'));
    let e = q.take(false) as QueueEntry;
    for (let i = 1; i <= 5; i++) {
      q.requeue([e]);
      e = q.take(false) as QueueEntry;
      expect(headersOf(e)?.['x-delivery-count']).toBe(i);
    }
    expect(hooks.deaths).toEqual([]);
  });
});
