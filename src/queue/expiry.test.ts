/**
 * Queue features, expiry by deadline: the expiration property, x-message-ttl, deadlines kept across requeue, and nothing left
 * to expire after purge or destroy. Time is a hand clock: each deadline is checked to the millisecond.
 * Queues are built from arguments as the vhost builds them (test-support/features.ts).
 */
import { nextTurn } from '../test-support/eventually';
import type { QueueEntry } from './message';
import { FakeConsumer } from './test-support/fake-consumer';
import { DLX, destroyMadeQueues, expiring, makeQueue, msg, takeAll, type Death } from './test-support/features';

afterEach(destroyMadeQueues);

describe('expiry by deadline (per-message expiration)', () => {
  test('a short-lived message behind a long-lived one expires on time; the long-lived one stays', () => {
    const { q, hooks, clock } = makeQueue(DLX);
    const start = clock.now();
    q.enqueue(expiring('A', 60000));
    q.enqueue(expiring('B', 30));
    expect(q.messageCount).toBe(2);
    expect(q.readyBytes).toBe(2);
    clock.advance(29);
    expect(hooks.deaths).toEqual([]);
    clock.advance(1);
    expect(hooks.summary).toEqual([['B', 'expired']]);
    const death = hooks.deaths[0] as Death;
    expect(death.at - start).toBe(30);
    expect(death.queue).toBe('q');
    expect(q.messageCount).toBe(1);
    expect(q.readyBytes).toBe(1);
    expect(takeAll(q)).toEqual(['A']);
    expect(hooks.deaths).toHaveLength(1);
  });

  test('several deadlines out of publish order expire in deadline order, each on time', () => {
    const { q, hooks, clock } = makeQueue(DLX);
    const start = clock.now();
    q.enqueue(expiring('slow', 150));
    q.enqueue(expiring('keep', 60000));
    q.enqueue(expiring('fast', 20));
    q.enqueue(msg('forever'));
    q.enqueue(expiring('mid', 80));
    clock.advance(1000);
    expect(hooks.summary).toEqual([
      ['fast', 'expired'],
      ['mid', 'expired'],
      ['slow', 'expired'],
    ]);
    expect(hooks.deaths.map((d) => d.at - start)).toEqual([20, 80, 150]);
    expect(q.messageCount).toBe(2);
    expect(takeAll(q)).toEqual(['keep', 'forever']);
  });

  test('without a dead-letter exchange an expired message just disappears', () => {
    const { q, hooks, clock } = makeQueue();
    q.enqueue(expiring('A', 60000));
    q.enqueue(expiring('B', 20));
    clock.advance(20);
    expect(q.messageCount).toBe(1);
    expect(hooks.deaths).toEqual([]);
    expect(takeAll(q)).toEqual(['A']);
  });

  test('basic.get never returns a message past its deadline', () => {
    const { q, hooks, clock } = makeQueue(DLX);
    q.enqueue(expiring('old', 10));
    q.enqueue(msg('new'));
    clock.advance(30);
    expect(q.take(true)?.message.body.toString()).toBe('new');
    expect(hooks.summary).toEqual([['old', 'expired']]);
  });

  test('a delivered (unacked) message does not expire while it is out', () => {
    const { q, hooks, clock } = makeQueue(DLX);
    q.enqueue(expiring('out', 20));
    const entry = q.take(false) as QueueEntry;
    clock.advance(80);
    expect(hooks.deaths).toEqual([]);
    q.settle(entry);
    expect(hooks.deaths).toEqual([]);
  });

  test('a message expires while the only consumer is at its prefetch limit', () => {
    const { q, hooks, clock } = makeQueue(DLX);
    const c = new FakeConsumer('c', 0, 1);
    q.addConsumer(c);
    q.enqueue(msg('held'));
    q.enqueue(expiring('waiting', 20));
    expect(c.bodies).toEqual(['held']);
    clock.advance(20);
    expect(hooks.summary).toEqual([['waiting', 'expired']]);
    expect(q.messageCount).toBe(0);
  });
});

describe('x-message-ttl', () => {
  test('a lower per-message expiration wins over the queue TTL', () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 5000 });
    const start = clock.now();
    q.enqueue(expiring('short', 30));
    q.enqueue(msg('plain'));
    clock.advance(4999);
    expect(hooks.summary).toEqual([['short', 'expired']]);
    expect((hooks.deaths[0] as Death).at - start).toBe(30);
    expect(takeAll(q)).toEqual(['plain']);
  });

  test('a higher per-message expiration loses to the queue TTL', () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 40 });
    const start = clock.now();
    q.enqueue(expiring('long', 60000));
    clock.advance(39);
    expect(hooks.deaths).toEqual([]);
    clock.advance(1);
    const death = hooks.deaths[0] as Death;
    expect([death.body, death.reason]).toEqual(['long', 'expired']);
    expect(death.at - start).toBe(40);
    expect(q.messageCount).toBe(0);
  });

  test('ttl 150 with per-message 30, 5000 and none: the 30 one first, then the others at the TTL', () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 150 });
    const start = clock.now();
    q.enqueue(expiring('m30', 30));
    q.enqueue(expiring('m5000', 5000));
    q.enqueue(msg('none'));
    clock.advance(30);
    expect(hooks.deaths).toHaveLength(1);
    expect(q.messageCount).toBe(2);
    clock.advance(119);
    expect(hooks.deaths).toHaveLength(1);
    clock.advance(1);
    expect(hooks.deaths).toHaveLength(3);
    expect(hooks.summary[0]).toEqual(['m30', 'expired']);
    expect(hooks.summary.slice(1).sort()).toEqual([
      ['m5000', 'expired'],
      ['none', 'expired'],
    ]);
    expect(hooks.deaths.map((d) => d.at - start)).toEqual([30, 150, 150]);
    expect(q.messageCount).toBe(0);
  });

  test('messages expiring by the queue TTL are dead-lettered in publish order (TTL + DLX delay queues)', () => {
    // Deadlines published within the same millisecond tie; RabbitMQ expires from the head, so in publish order.
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 30 });
    const bodies = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (const body of bodies) q.enqueue(msg(body));
    clock.advance(30);
    expect(hooks.deaths.map((d) => d.body)).toEqual(bodies);
  });

  test('x-message-ttl 0: delivered to a consumer that can take it at once', () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 0 });
    const c = new FakeConsumer('c');
    q.addConsumer(c);
    q.enqueue(msg('z1'));
    expect(c.bodies).toEqual(['z1']);
    expect(hooks.deaths).toEqual([]);
  });

  test('x-message-ttl 0 without a consumer: expired, never fetched', () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 0 });
    q.enqueue(msg('z2'));
    expect(q.take(false)).toBeUndefined();
    expect(hooks.summary).toEqual([['z2', 'expired']]);
    q.enqueue(msg('z3'));
    expect(hooks.summary).toEqual([
      ['z2', 'expired'],
      ['z3', 'expired'],
    ]);
    expect(q.messageCount).toBe(0);
  });

  test('x-message-ttl 0 with a consumer whose prefetch is full: expired, not delivered later', async () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 0 });
    const c = new FakeConsumer('c', 0, 1);
    q.addConsumer(c);
    q.enqueue(msg('z3'));
    q.enqueue(msg('z4'));
    expect(c.bodies).toEqual(['z3']);
    expect(hooks.summary).toEqual([['z4', 'expired']]);
    q.settle(c.delivered.splice(0)[0] as QueueEntry);
    q.scheduleDrain();
    await nextTurn();
    expect(c.bodies).toEqual([]);
    expect(q.messageCount).toBe(0);
  });
});

describe('requeued entries keep their deadline', () => {
  test('a message requeued before its deadline expires at the original deadline, not later', () => {
    const { q, hooks, clock } = makeQueue(DLX);
    const start = clock.now();
    q.enqueue(expiring('r', 300));
    const entry = q.take(false) as QueueEntry;
    const deadline = entry.expiresAt;
    clock.advance(150);
    q.requeue([entry]);
    expect(entry.expiresAt).toBe(deadline);
    expect(q.messageCount).toBe(1);
    clock.advance(149);
    expect(hooks.deaths).toEqual([]);
    clock.advance(1);
    const death = hooks.deaths[0] as Death;
    expect([death.body, death.reason]).toEqual(['r', 'expired']);
    // A deadline restarted at the requeue would be 450 ms after the publish.
    expect(death.at - start).toBe(300);
    expect(q.messageCount).toBe(0);
  });

  test('a message requeued after its deadline is dropped, not redelivered', async () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 40 });
    const c = new FakeConsumer('c', 0, 1);
    q.addConsumer(c);
    q.enqueue(msg('late'));
    const entry = c.delivered.splice(0)[0] as QueueEntry;
    clock.advance(80);
    q.requeue([entry]);
    clock.advance(0);
    expect(hooks.summary).toEqual([['late', 'expired']]);
    await nextTurn();
    expect(c.delivered).toEqual([]);
    expect(q.messageCount).toBe(0);
  });
});

describe('purge and destroy leave nothing to expire', () => {
  test('after a purge no deadline dead-letters anything, and later messages expire normally', () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 30 });
    q.enqueue(msg('a'));
    q.enqueue(expiring('b', 10));
    expect(q.purge()).toBe(2);
    expect(q.messageCount).toBe(0);
    expect(q.readyBytes).toBe(0);
    clock.advance(80);
    expect(hooks.deaths).toEqual([]);
    q.enqueue(msg('after'));
    clock.advance(30);
    expect(hooks.summary).toEqual([['after', 'expired']]);
  });

  test('purge keeps unacked deliveries; requeued, they expire at their deadline', () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 60 });
    q.enqueue(msg('out'));
    q.enqueue(msg('ready'));
    const out = q.take(false) as QueueEntry;
    expect(q.purge()).toBe(1);
    q.requeue([out]);
    expect(q.messageCount).toBe(1);
    clock.advance(60);
    expect(hooks.summary).toEqual([['out', 'expired']]);
  });

  test('after destroy no deadline dead-letters anything', () => {
    const { q, hooks, clock } = makeQueue({ ...DLX, 'x-message-ttl': 20 });
    q.enqueue(msg('a'));
    q.enqueue(expiring('b', 5));
    expect(q.destroy()).toBe(2);
    expect(clock.pending).toBe(0);
    clock.advance(70);
    expect(hooks.deaths).toEqual([]);
    expect(q.messageCount).toBe(0);
  });

  test('a rejection after destroy does not dead-letter', () => {
    const { q, hooks, clock } = makeQueue(DLX);
    q.enqueue(msg('m'));
    const e = q.take(false) as QueueEntry;
    q.destroy();
    q.settle(e, true);
    expect(hooks.deaths).toEqual([]);
  });
});
