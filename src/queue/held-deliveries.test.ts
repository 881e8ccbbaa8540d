/**
 * Issue 17: while the store cannot commit (Store.deliveriesHeld, a PostgreSQL store cut off from its database), a
 * durable queue delivers nothing: no ack could be committed, and every message delivered then would come back after
 * a takeover. Deliveries go on when the queue is drained again (the registry does that when the store resumes).
 */
import { MemoryStore } from '../store/memory';
import { nextTurn } from '../test-support/eventually';
import type { Message } from './message';
import { Queue } from './queue';
import type { QueueOptions } from './queue-options';
import { FakeConsumer } from './test-support/fake-consumer';

/** A memory store whose commits can be declared stalled. */
class StallingStore extends MemoryStore {
  deliveriesHeld = false;
}

const OPTIONS: QueueOptions = { vhost: '/', name: 'q', durable: true, autoDelete: false, exclusiveOwner: null, arguments: {} };

function message(body: string): Message {
  return { id: 0, persistent: true, exchange: 'x', routingKey: 'rk', properties: Buffer.from([0, 0]), body: Buffer.from(body), expiration: -1, headers: undefined };
}

describe('a durable queue whose store holds deliveries', () => {
  test('delivers nothing while held, then everything in order once drained again', async () => {
    const store = new StallingStore();
    const queueId = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: {} });
    const queue = new Queue(OPTIONS, { unused: () => {} }, { store, queueId });
    const consumer = new FakeConsumer('c', 0, 10, { noAck: false });
    queue.addConsumer(consumer);
    queue.enqueue(message('a'));
    expect(consumer.delivered.map((e) => e.message.body.toString())).toEqual(['a']);

    store.deliveriesHeld = true;
    queue.enqueue(message('b'));
    queue.enqueue(message('c'));
    queue.drain();
    await nextTurn();
    expect(consumer.delivered).toHaveLength(1);
    expect(queue.messageCount).toBe(2);

    store.deliveriesHeld = false;
    queue.scheduleDrain();
    await nextTurn();
    expect(consumer.delivered.map((e) => e.message.body.toString())).toEqual(['a', 'b', 'c']);
  });

  test('a queue without a store (transient) is not held', () => {
    const queue = new Queue({ ...OPTIONS, durable: false }, { unused: () => {} });
    const consumer = new FakeConsumer('c', 0, 10, { noAck: false });
    queue.addConsumer(consumer);
    queue.enqueue({ ...message('t'), persistent: false });
    expect(consumer.delivered).toHaveLength(1);
  });
});
