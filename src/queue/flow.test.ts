import type { QueueConsumer } from './consumer';
import type { Message, QueueEntry } from './message';
import { FLOW_HIGH, FLOW_LOW, Queue } from './queue';
import type { FlowListener } from './queue-options';

function message(): Message {
  return { id: 0, persistent: false, exchange: '', routingKey: 'q', properties: Buffer.from([0, 0]), body: Buffer.from('x'), expiration: -1, headers: undefined };
}

/** A consumer that accepts only while `open` is set. */
function consumer(): QueueConsumer & { open: boolean; got: QueueEntry[] } {
  const c = {
    tag: 'c',
    priority: 0,
    noAck: true,
    exclusive: false,
    open: false,
    got: [] as QueueEntry[],
    canAccept: () => c.open,
    deliver: (_q: Queue, e: QueueEntry) => void c.got.push(e),
    cancelledByBroker: () => undefined,
  };
  return c;
}

function queue(): Queue {
  return new Queue({ vhost: '/', name: 'q', durable: false, autoDelete: false, exclusiveOwner: null, arguments: {} }, { unused: () => undefined });
}

function listener(): FlowListener & { relieved: number } {
  const l = { relieved: 0, queueRelieved: () => void l.relieved++ };
  return l;
}

describe('Queue flow control', () => {
  test('a consumed queue is congested at FLOW_HIGH ready entries; waiters are relieved under FLOW_LOW, once', () => {
    const q = queue();
    const c = consumer();
    q.addConsumer(c);
    for (let i = 0; i < FLOW_HIGH - 1; i++) q.enqueue(message());
    expect(q.congested).toBe(false);
    q.enqueue(message());
    expect(q.congested).toBe(true);
    const l = listener();
    q.waitForRelief(l);
    q.waitForRelief(l);
    c.open = true;
    while (q.messageCount > FLOW_LOW + 1) q.drain();
    // drain delivers at most a budget per call; the waiter hears once the queue is under FLOW_LOW.
    q.drain();
    expect(q.messageCount).toBeLessThanOrEqual(FLOW_LOW);
    expect(l.relieved).toBe(1);
    q.drain();
    expect(l.relieved).toBe(1);
  });

  test('a queue without consumers is never congested, and losing the last consumer relieves waiters', () => {
    const q = queue();
    for (let i = 0; i < FLOW_HIGH + 10; i++) q.enqueue(message());
    expect(q.congested).toBe(false);
    const c = consumer();
    q.addConsumer(c);
    expect(q.congested).toBe(true);
    const l = listener();
    q.waitForRelief(l);
    q.removeConsumer(c);
    expect(l.relieved).toBe(1);
  });

  test('purge and delete relieve waiters', () => {
    for (const end of ['purge', 'destroy'] as const) {
      const q = queue();
      q.addConsumer(consumer());
      for (let i = 0; i < FLOW_HIGH; i++) q.enqueue(message());
      const l = listener();
      q.waitForRelief(l);
      q[end]();
      expect(l.relieved).toBe(1);
    }
  });
});
