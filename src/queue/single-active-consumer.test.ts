/**
 * Queue features: x-single-active-consumer.
 * Queues are built from arguments as the vhost builds them (test-support/features.ts).
 */
import { nextTurn } from '../test-support/eventually';
import { FakeConsumer } from './test-support/fake-consumer';
import { destroyMadeQueues, makeQueue, msg } from './test-support/features';

afterEach(destroyMadeQueues);

describe('single active consumer', () => {
  test('everything goes to the first registered consumer, even when a later one has a higher priority', () => {
    const { q } = makeQueue({ 'x-single-active-consumer': true });
    const first = new FakeConsumer('first', 0);
    const second = new FakeConsumer('second', 10);
    q.addConsumer(first);
    q.addConsumer(second);
    expect(q.consumerCount).toBe(2);
    expect(q.activeConsumer).toBe(first);
    for (const body of ['m1', 'm2', 'm3']) q.enqueue(msg(body));
    expect(first.bodies).toEqual(['m1', 'm2', 'm3']);
    expect(second.bodies).toEqual([]);
  });

  test('when the active consumer cannot accept, messages wait instead of going to the next one', () => {
    const { q } = makeQueue({ 'x-single-active-consumer': true });
    const first = new FakeConsumer('first', 0, 1);
    const second = new FakeConsumer('second');
    q.addConsumer(first);
    q.addConsumer(second);
    q.enqueue(msg('m1'));
    q.enqueue(msg('m2'));
    expect(first.bodies).toEqual(['m1']);
    expect(second.bodies).toEqual([]);
    expect(q.messageCount).toBe(1);
  });

  test('after removeConsumer of the active one, the next gets the waiting and new messages', async () => {
    const { q } = makeQueue({ 'x-single-active-consumer': true });
    const first = new FakeConsumer('first', 0, 1);
    const second = new FakeConsumer('second');
    q.addConsumer(first);
    q.addConsumer(second);
    q.enqueue(msg('n0'));
    q.enqueue(msg('n1'));
    q.removeConsumer(first);
    expect(q.activeConsumer).toBe(second);
    q.requeue(first.delivered.splice(0));
    await nextTurn();
    q.enqueue(msg('n2'));
    expect(second.bodies).toEqual(['n0', 'n1', 'n2']);
    expect(second.delivered[0]?.redelivered).toBe(true);
    expect(second.delivered[1]?.redelivered).toBe(false);
  });

  test('without x-single-active-consumer the higher-priority consumer is preferred (contrast)', () => {
    const { q } = makeQueue();
    const first = new FakeConsumer('first', 0);
    const second = new FakeConsumer('second', 10);
    q.addConsumer(first);
    q.addConsumer(second);
    q.enqueue(msg('m1'));
    expect(q.activeConsumer).toBeUndefined();
    expect(second.bodies).toEqual(['m1']);
  });
});
