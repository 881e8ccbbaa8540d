/**
 * Queue features: x-expires: an unused queue is reported after its period (the vhost then deletes it). Time is a hand clock,
 * except through the vhost, where jest fake timers drive the system clock.
 * Queues are built from arguments as the vhost builds them (test-support/features.ts).
 */
import { MemoryStore } from '../store/memory';
import { VirtualHost } from '../vhost/vhost';
import type { Queue } from './queue';
import { FakeConsumer } from './test-support/fake-consumer';
import { destroyAfterTest, destroyMadeQueues, makeQueue, msg } from './test-support/features';

afterEach(destroyMadeQueues);

describe('x-expires', () => {
  test('the unused hook fires after the period without consumers, not before', () => {
    const { hooks, clock } = makeQueue({ 'x-expires': 80 });
    const start = clock.now();
    clock.advance(79);
    expect(hooks.unusedAt).toEqual([]);
    clock.advance(1);
    expect(hooks.unusedAt).toEqual([start + 80]);
    clock.advance(1000);
    expect(hooks.unusedAt).toHaveLength(1);
  });

  test('a queue holding messages expires too; publishing does not count as use', () => {
    const { q, hooks, clock } = makeQueue({ 'x-expires': 100 });
    const start = clock.now();
    for (let i = 0; i < 4; i++) {
      q.enqueue(msg(`m${i}`));
      clock.advance(20);
    }
    expect(hooks.unusedAt).toEqual([]);
    clock.advance(20);
    expect(hooks.unusedAt).toEqual([start + 100]);
  });

  test('a consumer keeps the queue; the period restarts when it leaves', () => {
    const { q, hooks, clock } = makeQueue({ 'x-expires': 60 });
    const c = new FakeConsumer('c');
    q.addConsumer(c);
    clock.advance(180);
    expect(hooks.unusedAt).toEqual([]);
    const left = clock.now();
    q.removeConsumer(c);
    clock.advance(59);
    expect(hooks.unusedAt).toEqual([]);
    clock.advance(1);
    expect(hooks.unusedAt).toEqual([left + 60]);
  });

  test('declared() restarts the period', () => {
    const { q, hooks, clock } = makeQueue({ 'x-expires': 100 });
    clock.advance(60);
    const redeclared = clock.now();
    q.declared();
    clock.advance(60);
    expect(hooks.unusedAt).toEqual([]);
    clock.advance(40);
    expect(hooks.unusedAt).toEqual([redeclared + 100]);
  });

  test('basic.get (take), even on an empty queue, restarts the period', () => {
    const { q, hooks, clock } = makeQueue({ 'x-expires': 100 });
    clock.advance(60);
    const got = clock.now();
    expect(q.take(false)).toBeUndefined();
    clock.advance(60);
    expect(hooks.unusedAt).toEqual([]);
    clock.advance(40);
    expect(hooks.unusedAt).toEqual([got + 100]);
  });

  test('a passive queue.declare restarts the period too (RabbitMQ 3.10), through the vhost', () => {
    // The vhost builds its queues on the system clock: jest's fake timers drive it here.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const vhost = new VirtualHost('/', new MemoryStore());
      const owner = {};
      const declare = (passive: boolean): Queue =>
        vhost.declareQueue({ name: 'xq', passive, durable: false, exclusive: false, autoDelete: false, arguments: { 'x-expires': 100 } }, owner);
      destroyAfterTest(declare(false));
      jest.advanceTimersByTime(60);
      declare(true);
      jest.advanceTimersByTime(99);
      expect(vhost.queues.has('xq')).toBe(true);
      jest.advanceTimersByTime(1);
      expect(vhost.queues.has('xq')).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  test('a destroyed queue does not report itself unused', () => {
    const { q, hooks, clock } = makeQueue({ 'x-expires': 30 });
    q.destroy();
    expect(clock.pending).toBe(0);
    clock.advance(90);
    expect(hooks.unusedAt).toEqual([]);
  });

  test('without x-expires nothing fires', () => {
    const { hooks, clock } = makeQueue();
    expect(clock.pending).toBe(0);
    clock.advance(50);
    expect(hooks.unusedAt).toEqual([]);
  });
});
