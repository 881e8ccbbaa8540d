/**
 * Queue features, priority queues (x-max-priority) in memory: delivery order, consumers, requeue. Paging of durable ones is in
 * priority-paging.test.ts.
 * Queues are built from arguments as the vhost builds them (test-support/features.ts).
 */
import { decodeBasicProperties } from '../protocol/generated/amqp';
import { nextTurn } from '../test-support/eventually';
import type { Message, QueueEntry } from './message';
import { FakeConsumer } from './test-support/fake-consumer';
import { destroyMadeQueues, makeQueue, msg, takeAll } from './test-support/features';

afterEach(destroyMadeQueues);

describe('priority queues (x-max-priority)', () => {
  const prio = (body: string, priority?: number): Message => msg(body, priority === undefined ? {} : { priority });

  test('higher first, FIFO within a priority, above max treated as max, none as 0; the property is unchanged', () => {
    const { q } = makeQueue({ 'x-max-priority': 5 });
    q.enqueue(prio('a', 1));
    q.enqueue(prio('b', 5));
    q.enqueue(prio('c', 9));
    q.enqueue(prio('d'));
    q.enqueue(prio('e', 5));
    q.enqueue(prio('f', 0));
    q.enqueue(prio('g', 3));
    expect(q.messageCount).toBe(7);
    const got: Array<[string, number | undefined]> = [];
    for (let e = q.take(true); e !== undefined; e = q.take(true)) {
      const props = e.message.properties;
      got.push([e.message.body.toString(), decodeBasicProperties(props, 0, props.length).priority]);
    }
    expect(got).toEqual([
      ['b', 5],
      ['c', 9],
      ['e', 5],
      ['g', 3],
      ['a', 1],
      ['d', undefined],
      ['f', 0],
    ]);
  });

  test('a consumer with prefetch 2 gets the high ones first, the low ones after acks', async () => {
    const { q } = makeQueue({ 'x-max-priority': 5 });
    for (const [body, p] of [
      ['l1', 1],
      ['l2', 1],
      ['h1', 5],
      ['h2', 5],
    ] as const) {
      q.enqueue(prio(body, p));
    }
    const c = new FakeConsumer('c', 0, 2);
    q.addConsumer(c);
    await nextTurn();
    expect(c.bodies).toEqual(['h1', 'h2']);
    for (const e of c.delivered.splice(0)) q.settle(e);
    q.scheduleDrain();
    await nextTurn();
    expect(c.bodies).toEqual(['l1', 'l2']);
  });

  test('requeued entries go back to their place within their priority', () => {
    const { q } = makeQueue({ 'x-max-priority': 5 });
    q.enqueue(prio('h1', 5));
    q.enqueue(prio('h2', 5));
    q.enqueue(prio('l1', 1));
    const h1 = q.take(false) as QueueEntry;
    q.enqueue(prio('h3', 5));
    q.requeue([h1]);
    expect(takeAll(q)).toEqual(['h1', 'h2', 'h3', 'l1']);
  });

  test('x-max-priority 0: priorities have no effect', () => {
    const { q } = makeQueue({ 'x-max-priority': 0 });
    q.enqueue(prio('a', 0));
    q.enqueue(prio('b', 9));
    q.enqueue(prio('c', 3));
    expect(takeAll(q)).toEqual(['a', 'b', 'c']);
  });

  test('a plain queue ignores the priority property', () => {
    const { q } = makeQueue();
    q.enqueue(prio('a', 1));
    q.enqueue(prio('b', 9));
    expect(takeAll(q)).toEqual(['a', 'b']);
  });
});
