/**
 * Queue features, length limits: x-max-length, x-max-length-bytes and what x-overflow does (drop-head, reject-publish,
 * reject-publish-dlx).
 * Queues are built from arguments as the vhost builds them (test-support/features.ts).
 */
import type { QueueEntry } from './message';
import { DLX, destroyMadeQueues, makeQueue, msg, takeAll } from './test-support/features';

afterEach(destroyMadeQueues);

describe('length limits', () => {
  test('x-max-length drop-head: the oldest is dead-lettered (maxlen), bytes follow', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 2 });
    expect(q.enqueue(msg('a'))).toBe(true);
    expect(q.enqueue(msg('bb'))).toBe(true);
    expect(q.enqueue(msg('ccc'))).toBe(true);
    expect(hooks.summary).toEqual([['a', 'maxlen']]);
    expect(q.messageCount).toBe(2);
    expect(q.readyBytes).toBe(5);
    expect(q.enqueue(msg('dddd'))).toBe(true);
    expect(hooks.summary).toEqual([
      ['a', 'maxlen'],
      ['bb', 'maxlen'],
    ]);
    expect(q.readyBytes).toBe(7);
    expect(takeAll(q)).toEqual(['ccc', 'dddd']);
    expect(q.readyBytes).toBe(0);
  });

  test('x-max-length-bytes drop-head counts body bytes only', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length-bytes': 10 });
    q.enqueue(msg('11111'));
    q.enqueue(msg('22222', { headers: { big: 'x'.repeat(100) } }));
    expect(q.messageCount).toBe(2);
    expect(q.readyBytes).toBe(10);
    expect(hooks.deaths).toEqual([]);
    q.enqueue(msg('3'));
    expect(hooks.summary).toEqual([['11111', 'maxlen']]);
    expect(q.readyBytes).toBe(6);
    expect(takeAll(q)).toEqual(['22222', '3']);
  });

  test('x-max-length-bytes drop-head: a single message bigger than the limit is dropped at once', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length-bytes': 10 });
    expect(q.enqueue(msg('12345678901'))).toBe(true);
    expect(hooks.summary).toEqual([['12345678901', 'maxlen']]);
    expect(q.messageCount).toBe(0);
    expect(q.readyBytes).toBe(0);
  });

  test('x-max-length 0: every publish is dropped', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 0 });
    q.enqueue(msg('a'));
    q.enqueue(msg('b'));
    expect(q.messageCount).toBe(0);
    expect(hooks.summary).toEqual([
      ['a', 'maxlen'],
      ['b', 'maxlen'],
    ]);
  });

  test('drop-head without a dead-letter exchange drops silently', () => {
    const { q, hooks } = makeQueue({ 'x-max-length': 1 });
    q.enqueue(msg('a'));
    q.enqueue(msg('b'));
    expect(hooks.deaths).toEqual([]);
    expect(takeAll(q)).toEqual(['b']);
  });

  test('unacked deliveries do not count toward x-max-length', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 1 });
    q.enqueue(msg('u1'));
    const u1 = q.take(false) as QueueEntry;
    q.enqueue(msg('u2'));
    q.enqueue(msg('u3'));
    expect(q.messageCount).toBe(1);
    expect(hooks.summary).toEqual([['u2', 'maxlen']]);
    q.settle(u1);
    expect(takeAll(q)).toEqual(['u3']);
  });

  test('a requeue that takes the queue over x-max-length drops the head (the requeued one), as RabbitMQ does', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 1 });
    q.enqueue(msg('u1'));
    const u1 = q.take(false) as QueueEntry;
    q.enqueue(msg('u2'));
    q.requeue([u1]);
    expect(q.messageCount).toBe(1);
    expect(hooks.summary).toEqual([['u1', 'maxlen']]);
    expect(takeAll(q)).toEqual(['u2']);
  });

  test('reject-publish: enqueue refuses when full, nothing is dead-lettered, the queue keeps the first ones', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 2, 'x-overflow': 'reject-publish' });
    expect([q.enqueue(msg('r0')), q.enqueue(msg('r1')), q.enqueue(msg('r2'))]).toEqual([true, true, false]);
    expect(q.messageCount).toBe(2);
    expect(q.readyBytes).toBe(4);
    expect(hooks.deaths).toEqual([]);
    expect(q.take(true)?.message.body.toString()).toBe('r0');
    expect(q.enqueue(msg('r3'))).toBe(true);
    expect(takeAll(q)).toEqual(['r1', 'r3']);
  });

  test('reject-publish on bytes: a message that would take the queue past x-max-length-bytes is refused', () => {
    // RabbitMQ's will_overflow: ready bytes + the new body > max (rabbit_amqqueue_process).
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length-bytes': 10, 'x-overflow': 'reject-publish' });
    expect(q.enqueue(msg('12345'))).toBe(true);
    expect(q.enqueue(msg('123456'))).toBe(false);
    expect(q.readyBytes).toBe(5);
    expect(q.enqueue(msg('12345'))).toBe(true);
    expect(q.readyBytes).toBe(10);
    expect(q.enqueue(msg('1'))).toBe(false);
    expect(q.readyBytes).toBe(10);
    expect(hooks.deaths).toEqual([]);
  });

  test('reject-publish on bytes: a single message bigger than the limit is refused by an empty queue', () => {
    const { q } = makeQueue({ 'x-max-length-bytes': 10, 'x-overflow': 'reject-publish' });
    expect(q.enqueue(msg('12345678901'))).toBe(false);
    expect(q.messageCount).toBe(0);
    expect(q.readyBytes).toBe(0);
  });

  test('reject-publish-dlx: refused and dead-lettered with reason maxlen', () => {
    const { q, hooks } = makeQueue({ ...DLX, 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
    expect([q.enqueue(msg('d0')), q.enqueue(msg('d1')), q.enqueue(msg('d2'))]).toEqual([true, false, false]);
    expect(hooks.summary).toEqual([
      ['d1', 'maxlen'],
      ['d2', 'maxlen'],
    ]);
    expect(takeAll(q)).toEqual(['d0']);
  });

  test('reject-publish-dlx without a dead-letter exchange only refuses', () => {
    const { q, hooks } = makeQueue({ 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
    expect([q.enqueue(msg('d0')), q.enqueue(msg('d1'))]).toEqual([true, false]);
    expect(hooks.deaths).toEqual([]);
    expect(q.messageCount).toBe(1);
  });
});
